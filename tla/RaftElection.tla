---------------------------- MODULE RaftElection ----------------------------
(***************************************************************************)
(* Raft leader election: terms, one vote per server per term, candidates   *)
(* that need a majority, a network of messages that may be delayed,        *)
(* duplicated or lost, and servers that crash and restart.                 *)
(*                                                                         *)
(* currentTerm and votedFor are persistent: a server writes them to disk   *)
(* before it answers, so a restart keeps them and loses only the volatile  *)
(* state (its role and the votes it collected). Logs are left out: with    *)
(* every log empty, the up-to-date check of RequestVote always succeeds,   *)
(* which only makes elections easier, so safety here covers the general    *)
(* case.                                                                   *)
(*                                                                         *)
(* The ghost variable `elected` records every <<server, term>> that ever   *)
(* became leader, so a leader that crashed still counts.                   *)
(*                                                                         *)
(* Rust counterpart (day2/section07-raft): Timeout = the election timer    *)
(* firing (become candidate), HandleRequestVote = on_request_vote,         *)
(* HandleVote = on_vote_response, BecomeLeader = the candidate reaching a  *)
(* majority, Restart = the simulator's crash and restart.                  *)
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

(* Crash and restart: the persistent term and vote survive. *)
Restart(s) ==
    /\ role' = [role EXCEPT ![s] = "follower"]
    /\ votes' = [votes EXCEPT ![s] = {}]
    /\ UNCHANGED <<currentTerm, votedFor, msgs, elected>>

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
