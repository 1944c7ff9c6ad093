---------------------- MODULE BrokenQuorumIntersection ----------------------
(***************************************************************************)
(* BROKEN twin of QuorumIntersection: the write quorum size is N - R, so   *)
(* R + W = N and a read quorum and a write quorum can be disjoint. The one *)
(* change is marked BROKEN below.                                          *)
(*                                                                         *)
(* Expected: QuorumsIntersect is violated, for example with two nodes,     *)
(* read quorum {1} and write quorum {2}: the read misses the write.        *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS MaxNodes     \* clusters of 1..MaxNodes nodes are checked

VARIABLES n,           \* the cluster size; its nodes are 1..n
          readQuorum,  \* a set of nodes of the read quorum size
          writeQuorum  \* a set of nodes of the write quorum size

vars == <<n, readQuorum, writeQuorum>>

(* The write quorum size that goes with read quorums of size r. *)
WriteQuorumSize(size, r) == size - r \* BROKEN: should be size - r + 1

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
