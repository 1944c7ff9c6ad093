------------------------- MODULE BrokenRaftElection -------------------------
(***************************************************************************)
(* BROKEN twin of RaftElection: the vote is not persisted. A restart       *)
(* forgets whom the server voted for in its current term, so it can vote   *)
(* a second time in the same term. Everything else is identical; the one   *)
(* change is marked BROKEN below.                                          *)
(*                                                                         *)
(* Expected: ElectionSafety is violated. s1 wins term 1 with the votes of  *)
(* s1 and s2; s2 restarts and forgets its vote; s3, also in term 1, asks   *)
(* s2 and wins term 1 as well: two leaders in one term.                    *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Servers,     \* the servers
          MaxTerm      \* terms range over 0..MaxTerm

VARIABLES currentTerm, \* currentTerm[s]: persistent
          votedFor,    \* votedFor[s]: persistent; the server s voted for in currentTerm[s], or Nobody
          role,        \* role[s]: "follower", "candidate" or "leader"; volatile
          votes,       \* votes[s]: servers that granted s their vote in currentTerm[s]; volatile
          msgs,        \* every message ever sent
          elected      \* ghost: every <<server, term>> that became leader

vars == <<currentTerm, votedFor, role, votes, msgs, elected>>

Terms == 0..MaxTerm
Nobody == "nobody"
IsQuorum(S) == 2 * Cardinality(S) > Cardinality(Servers)

Messages ==
         [type : {"RequestVote"}, term : Terms, src : Servers]
    \cup [type : {"Vote"}, term : Terms, src : Servers, dst : Servers]

TypeOK ==
    /\ currentTerm \in [Servers -> Terms]
    /\ votedFor \in [Servers -> Servers \cup {Nobody}]
    /\ role \in [Servers -> {"follower", "candidate", "leader"}]
    /\ votes \in [Servers -> SUBSET Servers]
    /\ msgs \subseteq Messages
    /\ elected \subseteq (Servers \X Terms)

Init ==
    /\ currentTerm = [s \in Servers |-> 0]
    /\ votedFor = [s \in Servers |-> Nobody]
    /\ role = [s \in Servers |-> "follower"]
    /\ votes = [s \in Servers |-> {}]
    /\ msgs = {}
    /\ elected = {}

(* The election timer fires: start a new term, vote for yourself, ask.    *)
Timeout(s) ==
    /\ role[s] \in {"follower", "candidate"}
    /\ currentTerm[s] < MaxTerm
    /\ currentTerm' = [currentTerm EXCEPT ![s] = @ + 1]
    /\ votedFor' = [votedFor EXCEPT ![s] = s]
    /\ role' = [role EXCEPT ![s] = "candidate"]
    /\ votes' = [votes EXCEPT ![s] = {s}]
    /\ msgs' = msgs \cup {[type |-> "RequestVote", term |-> currentTerm[s] + 1, src |-> s]}
    /\ UNCHANGED elected

(* A server sees a higher term: adopt it, step down, forget the old vote. *)
UpdateTerm(s) ==
    \E m \in msgs :
        /\ m.term > currentTerm[s]
        /\ currentTerm' = [currentTerm EXCEPT ![s] = m.term]
        /\ votedFor' = [votedFor EXCEPT ![s] = Nobody]
        /\ role' = [role EXCEPT ![s] = "follower"]
        /\ votes' = [votes EXCEPT ![s] = {}]
        /\ UNCHANGED <<msgs, elected>>

(* Grant a vote in the current term, at most one candidate per term.      *)
HandleRequestVote(s) ==
    \E m \in msgs :
        /\ m.type = "RequestVote"
        /\ m.term = currentTerm[s]
        /\ votedFor[s] \in {Nobody, m.src}
        /\ votedFor' = [votedFor EXCEPT ![s] = m.src]
        /\ msgs' = msgs \cup {[type |-> "Vote", term |-> m.term, src |-> s, dst |-> m.src]}
        /\ UNCHANGED <<currentTerm, role, votes, elected>>

(* A candidate counts a vote of its current term. *)
HandleVote(s) ==
    \E m \in msgs :
        /\ m.type = "Vote"
        /\ m.dst = s
        /\ m.term = currentTerm[s]
        /\ role[s] = "candidate"
        /\ m.src \notin votes[s]
        /\ votes' = [votes EXCEPT ![s] = @ \cup {m.src}]
        /\ UNCHANGED <<currentTerm, votedFor, role, msgs, elected>>

BecomeLeader(s) ==
    /\ role[s] = "candidate"
    /\ IsQuorum(votes[s])
    /\ role' = [role EXCEPT ![s] = "leader"]
    /\ elected' = elected \cup {<<s, currentTerm[s]>>}
    /\ UNCHANGED <<currentTerm, votedFor, votes, msgs>>

(* Crash and restart. BROKEN: the vote was kept only in memory.          *)
Restart(s) ==
    /\ role' = [role EXCEPT ![s] = "follower"]
    /\ votes' = [votes EXCEPT ![s] = {}]
    /\ votedFor' = [votedFor EXCEPT ![s] = Nobody]
    /\ UNCHANGED <<currentTerm, msgs, elected>>

Next ==
    \E s \in Servers :
        \/ Timeout(s)
        \/ UpdateTerm(s)
        \/ HandleRequestVote(s)
        \/ HandleVote(s)
        \/ BecomeLeader(s)
        \/ Restart(s)

Spec == Init /\ [][Next]_vars

(* Election safety: at most one leader per term, over the whole history. *)
ElectionSafety ==
    \A e1, e2 \in elected : e1[2] = e2[2] => e1[1] = e2[1]

(* A server's vote is for a server that asked in that term (or itself).  *)
VotesGrantedOnlyOnRequest ==
    \A s \in Servers :
        votedFor[s] # Nobody =>
            \/ votedFor[s] = s
            \/ \E m \in msgs : m.type = "RequestVote" /\ m.src = votedFor[s] /\ m.term = currentTerm[s]
=============================================================================
