------------------- MODULE BrokenStorageWriteAndValidate -------------------
(***************************************************************************)
(* BROKEN: the acceptor decides from a storage read instead of from its    *)
(* in-memory decision.                                                     *)
(*                                                                         *)
(* A prepare first reads the promised generation from disk, then decides   *)
(* against what the read returned, then writes. Two prepares can both read *)
(* the same old value, both pass the check, and both start writes: two     *)
(* promises in flight at once (NoConcurrentPromises, 7 states).            *)
(*                                                                         *)
(* The harm (BrokenStorageWriteAndValidateHarm.cfg, without the shape      *)
(* check): the higher prepare is written and acknowledged, then the lower  *)
(* one is decided against its stale read and the in-memory promise goes    *)
(* back below the acknowledged one (PromiseKept, 8 states). One step later *)
(* the writes can also complete in the wrong order, so that the disk goes  *)
(* back below a promise already sent (ResponseImpliesDurable, 9 states).   *)
(*                                                                         *)
(* This is not a one-change twin: it adds a disk read between the prepare  *)
(* and the decision. The correct shape is DurableDecision: check and       *)
(* update the in-memory promise first, then persist, then reply.           *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS Nodes,          \* the acceptors
          MaxGeneration   \* generations range over 1..MaxGeneration

VARIABLES memPromised,    \* memPromised[n]: the generation n has promised, in memory
          durPromised,    \* durPromised[n]: the generation recorded on n's disk
          pendingRead,    \* pendingRead[n]: prepare generations waiting for a disk read
          pendingDecide,  \* pendingDecide[n]: [gen, read] records: a read has returned `read`
          pendingWrite,   \* pendingWrite[n]: generations whose disk writes are in flight
          responses,      \* set of <<node, generation>> promise replies ever sent
          crashed,        \* crashed[n]: n is down
          highestAck      \* ghost: highest generation n has ever acknowledged

vars == <<memPromised, durPromised, pendingRead, pendingDecide, pendingWrite,
          responses, crashed, highestAck>>

Generations == 1..MaxGeneration
GenerationsOrNone == 0..MaxGeneration
Max(a, b) == IF a >= b THEN a ELSE b

TypeOK ==
    /\ memPromised \in [Nodes -> GenerationsOrNone]
    /\ durPromised \in [Nodes -> GenerationsOrNone]
    /\ pendingRead \in [Nodes -> SUBSET Generations]
    /\ pendingDecide \in [Nodes -> SUBSET [gen : Generations, read : GenerationsOrNone]]
    /\ pendingWrite \in [Nodes -> SUBSET Generations]
    /\ responses \subseteq (Nodes \X Generations)
    /\ crashed \in [Nodes -> BOOLEAN]
    /\ highestAck \in [Nodes -> GenerationsOrNone]

Init ==
    /\ memPromised = [n \in Nodes |-> 0]
    /\ durPromised = [n \in Nodes |-> 0]
    /\ pendingRead = [n \in Nodes |-> {}]
    /\ pendingDecide = [n \in Nodes |-> {}]
    /\ pendingWrite = [n \in Nodes |-> {}]
    /\ responses = {}
    /\ crashed = [n \in Nodes |-> FALSE]
    /\ highestAck = [n \in Nodes |-> 0]

(* A prepare arrives; memory is not consulted, a disk read is queued. *)
ReceivePrepare(n, g) ==
    /\ ~crashed[n]
    /\ pendingRead' = [pendingRead EXCEPT ![n] = @ \cup {g}]
    /\ UNCHANGED <<memPromised, durPromised, pendingDecide, pendingWrite,
                   responses, crashed, highestAck>>

(* The read returns whatever the disk holds now. *)
CompleteRead(n, g) ==
    /\ ~crashed[n]
    /\ g \in pendingRead[n]
    /\ pendingRead' = [pendingRead EXCEPT ![n] = @ \ {g}]
    /\ pendingDecide' = [pendingDecide EXCEPT ![n] = @ \cup {[gen |-> g, read |-> durPromised[n]]}]
    /\ UNCHANGED <<memPromised, durPromised, pendingWrite, responses, crashed, highestAck>>

(* BROKEN: the decision is taken against a possibly stale read. *)
DecideAndWrite(n, req) ==
    /\ ~crashed[n]
    /\ req \in pendingDecide[n]
    /\ req.read < req.gen
    /\ memPromised' = [memPromised EXCEPT ![n] = req.gen]
    /\ pendingDecide' = [pendingDecide EXCEPT ![n] = @ \ {req}]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = @ \cup {req.gen}]
    /\ UNCHANGED <<durPromised, pendingRead, responses, crashed, highestAck>>

Reject(n, req) ==
    /\ ~crashed[n]
    /\ req \in pendingDecide[n]
    /\ req.read >= req.gen
    /\ pendingDecide' = [pendingDecide EXCEPT ![n] = @ \ {req}]
    /\ UNCHANGED <<memPromised, durPromised, pendingRead, pendingWrite,
                   responses, crashed, highestAck>>

(* The last write to complete wins, even if it is older. *)
CompleteWrite(n, g) ==
    /\ ~crashed[n]
    /\ g \in pendingWrite[n]
    /\ durPromised' = [durPromised EXCEPT ![n] = g]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = @ \ {g}]
    /\ responses' = responses \cup {<<n, g>>}
    /\ highestAck' = [highestAck EXCEPT ![n] = Max(@, g)]
    /\ UNCHANGED <<memPromised, pendingRead, pendingDecide, crashed>>

Crash(n) ==
    /\ ~crashed[n]
    /\ crashed' = [crashed EXCEPT ![n] = TRUE]
    /\ memPromised' = [memPromised EXCEPT ![n] = durPromised[n]]
    /\ pendingRead' = [pendingRead EXCEPT ![n] = {}]
    /\ pendingDecide' = [pendingDecide EXCEPT ![n] = {}]
    /\ pendingWrite' = [pendingWrite EXCEPT ![n] = {}]
    /\ UNCHANGED <<durPromised, responses, highestAck>>

Restart(n) ==
    /\ crashed[n]
    /\ crashed' = [crashed EXCEPT ![n] = FALSE]
    /\ UNCHANGED <<memPromised, durPromised, pendingRead, pendingDecide, pendingWrite,
                   responses, highestAck>>

Next ==
    \E n \in Nodes :
        \/ \E g \in Generations : ReceivePrepare(n, g) \/ CompleteRead(n, g) \/ CompleteWrite(n, g)
        \/ \E req \in pendingDecide[n] : DecideAndWrite(n, req) \/ Reject(n, req)
        \/ Crash(n)
        \/ Restart(n)

Spec == Init /\ [][Next]_vars

(* Implementation shape: a node has at most one promise write in flight. *)
NoConcurrentPromises ==
    \A n \in Nodes : \A g1, g2 \in pendingWrite[n] : g1 = g2

(* Every promise a node has sent is on its disk. *)
ResponseImpliesDurable ==
    \A r \in responses : durPromised[r[1]] >= r[2]

(* A running node never forgets a promise it gave. *)
PromiseKept ==
    \A n \in Nodes : ~crashed[n] => memPromised[n] >= highestAck[n]
=============================================================================
