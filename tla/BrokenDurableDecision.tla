----------------------- MODULE BrokenDurableDecision -----------------------
(***************************************************************************)
(* BROKEN twin of DurableDecision: the acceptor replies to a prepare as    *)
(* soon as it has decided in memory, before the disk write completes.      *)
(* Everything else is identical; the one change is marked BROKEN below.    *)
(*                                                                         *)
(* With BrokenDurableDecision.cfg the checker reports                      *)
(* ResponseImpliesDurable after one step: a reply is out, the disk still   *)
(* says 0. BrokenDurableDecisionHarm.cfg leaves that invariant out and     *)
(* shows what it costs: the node acknowledges, crashes before the write,   *)
(* restarts, and no longer remembers the promise it gave (PromiseKept).    *)
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

(* Rust: on_prepare, broken. BROKEN: the reply goes out here, before the   *)
(* write is durable.                                                       *)
ReceivePrepare(n, g) ==
    /\ ~crashed[n]
    /\ g > memPromised[n]
    /\ memPromised' = [memPromised EXCEPT ![n] = g]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = g]
    /\ responses' = responses \cup {<<n, g>>}
    /\ highestAck' = [highestAck EXCEPT ![n] = g]
    /\ UNCHANGED <<durPromised, crashed>>

(* Rust: the persist callback, which no longer has anything to send. *)
CompleteWrite(n) ==
    /\ ~crashed[n]
    /\ pendingWrite[n] # 0
    /\ durPromised' = [durPromised EXCEPT ![n] = pendingWrite[n]]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = 0]
    /\ UNCHANGED <<memPromised, responses, crashed, highestAck>>

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
