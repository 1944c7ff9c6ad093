--------------------------- MODULE BrokenRaftLog ---------------------------
(***************************************************************************)
(* BROKEN twin of RaftLog: a leader commits an entry of an earlier term as *)
(* soon as a majority holds it, by counting replicas. Everything else is   *)
(* identical; the one change is marked BROKEN below.                       *)
(*                                                                         *)
(* Expected: CommittedEntriesSurvive is violated, the scenario of Figure 8 *)
(* of the Raft paper with three servers: s1 leads term 1 and appends an    *)
(* entry only locally; s3 leads term 2 and appends a different one; s1     *)
(* leads term 3 and copies its term-1 entry to s2, and "commits" it; s3    *)
(* wins term 4 (its last entry, term 2, is more up to date than term 1)    *)
(* and overwrites the "committed" entry on s2.                             *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS Servers,     \* the servers
          MaxTerm,     \* terms range over 0..MaxTerm
          MaxLogLen    \* logs hold at most MaxLogLen entries

VARIABLES currentTerm, \* currentTerm[s]
          role,        \* role[s]: "follower" or "leader"
          log,         \* log[s]: the sequence of entry terms
          committed    \* ghost: every <<index, term>> ever committed

vars == <<currentTerm, role, log, committed>>

Terms == 0..MaxTerm
Indexes == 1..MaxLogLen
IsQuorum(S) == 2 * Cardinality(S) > Cardinality(Servers)
Max(S) == CHOOSE x \in S : \A y \in S : y <= x

LastTerm(l) == IF Len(l) = 0 THEN 0 ELSE l[Len(l)]

(* The RequestVote rule: the candidate's log is at least as up to date.   *)
UpToDate(candidate, voter) ==
    \/ LastTerm(candidate) > LastTerm(voter)
    \/ /\ LastTerm(candidate) = LastTerm(voter)
       /\ Len(candidate) >= Len(voter)

(* Server s holds entry <<index, term>>. No server holds an index outside *)
(* its log, 0 included, and log[s][index] is looked up only inside it.     *)
Holds(s, index, term) == index \in 1..Len(log[s]) /\ log[s][index] = term

TypeOK ==
    /\ currentTerm \in [Servers -> Terms]
    /\ role \in [Servers -> {"follower", "leader"}]
    /\ \A s \in Servers :
        /\ Len(log[s]) <= MaxLogLen
        /\ \A k \in 1..Len(log[s]) : log[s][k] \in 1..MaxTerm
    /\ committed \subseteq (Indexes \X Terms)

Init ==
    /\ currentTerm = [s \in Servers |-> 0]
    /\ role = [s \in Servers |-> "follower"]
    /\ log = [s \in Servers |-> <<>>]
    /\ committed = {}

(* The term of an election won with the votes of Q: above all their terms. *)
ElectionTerm(Q) == Max({currentTerm[j] : j \in Q}) + 1

(* Server i wins an election with the votes of quorum Q. *)
BecomeLeader(i, Q) ==
    /\ i \in Q
    /\ IsQuorum(Q)
    /\ ElectionTerm(Q) <= MaxTerm
    /\ \A j \in Q : UpToDate(log[i], log[j])
    /\ currentTerm' = [j \in Servers |-> IF j \in Q THEN ElectionTerm(Q) ELSE currentTerm[j]]
    /\ role' = [j \in Servers |-> IF j = i THEN "leader"
                                  ELSE IF j \in Q THEN "follower" ELSE role[j]]
    /\ UNCHANGED <<log, committed>>

(* The leader appends a client command, as an entry of its term. *)
ClientRequest(i) ==
    /\ role[i] = "leader"
    /\ Len(log[i]) < MaxLogLen
    /\ log' = [log EXCEPT ![i] = Append(@, currentTerm[i])]
    /\ UNCHANGED <<currentTerm, role, committed>>

(* Leader i sends follower j the entry at index k, with the previous       *)
(* entry for the consistency check; j replaces a conflicting suffix.       *)
AppendEntries(i, j, k) ==
    /\ role[i] = "leader"
    /\ i # j
    /\ currentTerm[j] <= currentTerm[i]
    /\ k <= Len(log[i])
    \* IF, not \/: TLC explores every disjunct of an action, so with k = 1 it
    \* would look up log[i][0].
    /\ IF k = 1 THEN TRUE ELSE Holds(j, k - 1, log[i][k - 1])
    /\ ~Holds(j, k, log[i][k])
    /\ log' = [log EXCEPT ![j] = Append(SubSeq(@, 1, k - 1), log[i][k])]
    /\ currentTerm' = [currentTerm EXCEPT ![j] = currentTerm[i]]
    /\ role' = [role EXCEPT ![j] = "follower"]
    /\ UNCHANGED committed

(* Leader i commits index k: a majority in its term holds the entry, and   *)
(* the entry is of the leader's own term.                                  *)
AdvanceCommitIndex(i, k) ==
    /\ role[i] = "leader"
    /\ k <= Len(log[i])
    /\ IsQuorum({j \in Servers : currentTerm[j] >= currentTerm[i] /\ Holds(j, k, log[i][k])})
    /\ TRUE \* BROKEN: should be log[i][k] = currentTerm[i]
    /\ committed' = committed \cup {<<x, log[i][x]>> : x \in 1..k}
    /\ committed' # committed
    /\ UNCHANGED <<currentTerm, role, log>>

Next ==
    \/ \E i \in Servers, Q \in SUBSET Servers : BecomeLeader(i, Q)
    \/ \E i \in Servers : ClientRequest(i)
    \/ \E i, j \in Servers, k \in Indexes : AppendEntries(i, j, k)
    \/ \E i \in Servers, k \in Indexes : AdvanceCommitIndex(i, k)

Spec == Init /\ [][Next]_vars

(* Two logs that agree on an entry agree on everything before it. *)
LogMatching ==
    \A i, j \in Servers :
        \A k \in 1..Len(log[i]) :
            Holds(j, k, log[i][k]) => SubSeq(log[i], 1, k) = SubSeq(log[j], 1, k)

(* A committed entry stays on a majority of servers, so every future       *)
(* leader has it and nobody overwrites it.                                 *)
CommittedEntriesSurvive ==
    \A c \in committed : IsQuorum({s \in Servers : Holds(s, c[1], c[2])})

(* State machine safety: no two different entries are committed at one index. *)
StateMachineSafety ==
    \A c1, c2 \in committed : c1[1] = c2[1] => c1[2] = c2[2]
=============================================================================
