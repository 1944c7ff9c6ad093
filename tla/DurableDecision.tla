-------------------------- MODULE DurableDecision --------------------------
(***************************************************************************)
(* The durable-decision pattern, done right.                               *)
(*                                                                         *)
(* An acceptor decides (promises a generation) in memory, makes the        *)
(* decision durable, and only then tells anyone about it. Racing requests  *)
(* are checked against the in-memory decision, so nothing slips in while   *)
(* the write is in flight. A crash loses memory and any write in flight;   *)
(* the disk survives.                                                      *)
(*                                                                         *)
(* Rust counterpart: the prepare handler of the generation-voting and      *)
(* Paxos acceptors (`on_prepare`): update the promise, `ctx.persist(..)`,  *)
(* and reply from the persist callback.                                    *)
(*                                                                         *)
(* The ghost variable `highestAck` is not part of any node: it is what the *)
(* proposers remember having been promised. It survives crashes, so it can *)
(* tell when a node has forgotten a promise it gave.                       *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS Nodes,          \* the acceptors
          MaxGeneration   \* generations range over 1..MaxGeneration

VARIABLES memPromised,    \* memPromised[n]: the generation n has promised, in memory
          durPromised,    \* durPromised[n]: the generation recorded on n's disk
          pendingWrite,   \* pendingWrite[n]: generation whose disk write is in flight; 0 = none
          responses,      \* set of <<node, generation>> promise replies ever sent
          crashed,        \* crashed[n]: n is down
          highestAck      \* ghost: highest generation n has ever acknowledged

vars == <<memPromised, durPromised, pendingWrite, responses, crashed, highestAck>>

Generations == 1..MaxGeneration
GenerationsOrNone == 0..MaxGeneration

TypeOK ==
    /\ memPromised \in [Nodes -> GenerationsOrNone]
    /\ durPromised \in [Nodes -> GenerationsOrNone]
    /\ pendingWrite \in [Nodes -> GenerationsOrNone]
    /\ responses \subseteq (Nodes \X Generations)
    /\ crashed \in [Nodes -> BOOLEAN]
    /\ highestAck \in [Nodes -> GenerationsOrNone]

Init ==
    /\ memPromised = [n \in Nodes |-> 0]
    /\ durPromised = [n \in Nodes |-> 0]
    /\ pendingWrite = [n \in Nodes |-> 0]
    /\ responses = {}
    /\ crashed = [n \in Nodes |-> FALSE]
    /\ highestAck = [n \in Nodes |-> 0]

(* Rust: on_prepare. Decide in memory, start the durable write, reply later. *)
ReceivePrepare(n, g) ==
    /\ ~crashed[n]
    /\ g > memPromised[n]
    /\ memPromised' = [memPromised EXCEPT ![n] = g]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = g]
    /\ UNCHANGED <<durPromised, responses, crashed, highestAck>>

(* Rust: the persist callback. The write is durable, now reply. *)
CompleteWrite(n) ==
    /\ ~crashed[n]
    /\ pendingWrite[n] # 0
    /\ durPromised' = [durPromised EXCEPT ![n] = pendingWrite[n]]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = 0]
    /\ responses' = responses \cup {<<n, pendingWrite[n]>>}
    /\ highestAck' = [highestAck EXCEPT ![n] = pendingWrite[n]]
    /\ UNCHANGED <<memPromised, crashed>>

(* Rust: the simulator's crash fault. Memory is rebuilt from disk;         *)
(* a write in flight is lost.                                              *)
Crash(n) ==
    /\ ~crashed[n]
    /\ crashed' = [crashed EXCEPT ![n] = TRUE]
    /\ memPromised' = [memPromised EXCEPT ![n] = durPromised[n]]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = 0]
    /\ UNCHANGED <<durPromised, responses, highestAck>>

(* Rust: the simulator's restart fault. *)
Restart(n) ==
    /\ crashed[n]
    /\ crashed' = [crashed EXCEPT ![n] = FALSE]
    /\ UNCHANGED <<memPromised, durPromised, pendingWrite, responses, highestAck>>

Next ==
    \E n \in Nodes :
        \/ \E g \in Generations : ReceivePrepare(n, g)
        \/ CompleteWrite(n)
        \/ Crash(n)
        \/ Restart(n)

Spec == Init /\ [][Next]_vars

(* Every promise a node has sent is on its disk. *)
ResponseImpliesDurable ==
    \A r \in responses : durPromised[r[1]] >= r[2]

(* A running node never holds less in memory than on disk. *)
MemoryAheadOfDurable ==
    \A n \in Nodes : ~crashed[n] => memPromised[n] >= durPromised[n]

(* The harm itself: a running node never forgets a promise it gave.        *)
(* If it did, it would promise the same or a lower generation again.       *)
PromiseKept ==
    \A n \in Nodes : ~crashed[n] => memPromised[n] >= highestAck[n]
=============================================================================
