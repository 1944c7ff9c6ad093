------------------------- MODULE QuorumIntersection -------------------------
(***************************************************************************)
(* Quorum intersection, checked over every cluster size up to MaxNodes and *)
(* every read (phase-1) quorum size: a write (phase-2) quorum of size      *)
(* N - R + 1 meets every read quorum of size R, because R + W > N. This is *)
(* the rule behind majorities (R = W = N div 2 + 1) and behind flexible    *)
(* quorums (a small phase-2 quorum paid for by a large phase-1 quorum).    *)
(*                                                                         *)
(* The "behaviour" is only a choice, made in the initial state, of a       *)
(* cluster size, a read quorum size, and one read and one write quorum of  *)
(* those sizes; the checker enumerates every such choice and the           *)
(* invariant must hold in each. Nothing changes afterwards.                *)
(*                                                                         *)
(* Rust counterpart (day1/section04-quorums): the function that gives the  *)
(* write quorum size for a cluster size and a read quorum size.            *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS MaxNodes     \* clusters of 1..MaxNodes nodes are checked

VARIABLES n,           \* the cluster size; its nodes are 1..n
          readQuorum,  \* a set of nodes of the read quorum size
          writeQuorum  \* a set of nodes of the write quorum size

vars == <<n, readQuorum, writeQuorum>>

(* The write quorum size that goes with read quorums of size r. *)
WriteQuorumSize(size, r) == size - r + 1

QuorumsOfSize(size, k) == {Q \in SUBSET (1..size) : Cardinality(Q) = k}

TypeOK ==
    /\ n \in 1..MaxNodes
    /\ readQuorum \subseteq 1..n
    /\ writeQuorum \subseteq 1..n

Init ==
    /\ n \in 1..MaxNodes
    /\ \E r \in 1..n :
        /\ WriteQuorumSize(n, r) \in 1..n
        /\ readQuorum \in QuorumsOfSize(n, r)
        /\ writeQuorum \in QuorumsOfSize(n, WriteQuorumSize(n, r))

Next == UNCHANGED vars

Spec == Init /\ [][Next]_vars

(* Every read quorum meets every write quorum: a read sees the last write. *)
QuorumsIntersect == readQuorum \cap writeQuorum # {}
=============================================================================
