---------------------------- MODULE BrokenPaxos ----------------------------
(***************************************************************************)
(* BROKEN twin of Paxos: in phase 2 the proposer ignores the values the    *)
(* acceptors reported in their promises and proposes whatever it likes.    *)
(* Everything else is identical; the one change is marked BROKEN below.    *)
(*                                                                         *)
(* Expected: AtMostOneChosen is violated. Ballot 0 gets v1 chosen by a     *)
(* majority; ballot 1's proposer hears from a majority that includes one   *)
(* acceptor that accepted v1, proposes v2 anyway, and v2 is chosen too.    *)
(***************************************************************************)
EXTENDS Integers, FiniteSets

CONSTANTS Acceptors,   \* the acceptors
          Values,      \* the values that may be proposed
          MaxBallot    \* ballots range over 0..MaxBallot; each belongs to one proposer

VARIABLES maxBal,      \* maxBal[a]: the highest ballot a has promised (-1: none)
          maxVBal,     \* maxVBal[a]: the highest ballot in which a accepted a value (-1: none)
          maxVal,      \* maxVal[a]: the value a accepted in ballot maxVBal[a] (None: none)
          msgs         \* every message ever sent

vars == <<maxBal, maxVBal, maxVal, msgs>>

Ballots == 0..MaxBallot
None == "none"
IsQuorum(S) == 2 * Cardinality(S) > Cardinality(Acceptors)

Messages ==
         [type : {"1a"}, bal : Ballots]
    \cup [type : {"1b"}, acc : Acceptors, bal : Ballots,
          mbal : Ballots \cup {-1}, mval : Values \cup {None}]
    \cup [type : {"2a"}, bal : Ballots, val : Values]
    \cup [type : {"2b"}, acc : Acceptors, bal : Ballots, val : Values]

TypeOK ==
    /\ maxBal \in [Acceptors -> Ballots \cup {-1}]
    /\ maxVBal \in [Acceptors -> Ballots \cup {-1}]
    /\ maxVal \in [Acceptors -> Values \cup {None}]
    /\ msgs \subseteq Messages

Init ==
    /\ maxBal = [a \in Acceptors |-> -1]
    /\ maxVBal = [a \in Acceptors |-> -1]
    /\ maxVal = [a \in Acceptors |-> None]
    /\ msgs = {}

Send(m) == msgs' = msgs \cup {m}

(* The proposer that owns ballot b starts phase 1. *)
Phase1a(b) ==
    /\ ~\E m \in msgs : m.type = "1a" /\ m.bal = b
    /\ Send([type |-> "1a", bal |-> b])
    /\ UNCHANGED <<maxBal, maxVBal, maxVal>>

(* An acceptor promises ballot b and reports what it has accepted. *)
Phase1b(a) ==
    \E m \in msgs :
        /\ m.type = "1a"
        /\ m.bal > maxBal[a]
        /\ maxBal' = [maxBal EXCEPT ![a] = m.bal]
        /\ Send([type |-> "1b", acc |-> a, bal |-> m.bal,
                 mbal |-> maxVBal[a], mval |-> maxVal[a]])
        /\ UNCHANGED <<maxVBal, maxVal>>

(* The value a proposer must propose, given the promises it received:      *)
(* the value of the highest ballot any of them accepted, if any did.       *)
SafeValue(Q1b, v) ==
    \/ \A m \in Q1b : m.mbal = -1
    \/ \E c \in Ballots :
        /\ \E m \in Q1b : m.mbal = c /\ m.mval = v
        /\ \A m \in Q1b : m.mbal <= c

(* With promises from a quorum, the owner of ballot b proposes a value.    *)
Phase2a(b, v) ==
    /\ ~\E m \in msgs : m.type = "2a" /\ m.bal = b
    /\ LET Q1b == {m \in msgs : m.type = "1b" /\ m.bal = b}
       IN  /\ IsQuorum({m.acc : m \in Q1b})
           /\ TRUE \* BROKEN: should be SafeValue(Q1b, v)
    /\ Send([type |-> "2a", bal |-> b, val |-> v])
    /\ UNCHANGED <<maxBal, maxVBal, maxVal>>

(* An acceptor accepts a proposal unless it has promised a higher ballot. *)
Phase2b(a) ==
    \E m \in msgs :
        /\ m.type = "2a"
        /\ m.bal >= maxBal[a]
        /\ maxBal' = [maxBal EXCEPT ![a] = m.bal]
        /\ maxVBal' = [maxVBal EXCEPT ![a] = m.bal]
        /\ maxVal' = [maxVal EXCEPT ![a] = m.val]
        /\ Send([type |-> "2b", acc |-> a, bal |-> m.bal, val |-> m.val])

Next ==
    \/ \E b \in Ballots : Phase1a(b) \/ \E v \in Values : Phase2a(b, v)
    \/ \E a \in Acceptors : Phase1b(a) \/ Phase2b(a)

Spec == Init /\ [][Next]_vars

VotedFor(a, b, v) == \E m \in msgs : m.type = "2b" /\ m.acc = a /\ m.bal = b /\ m.val = v
ChosenIn(b, v) == IsQuorum({a \in Acceptors : VotedFor(a, b, v)})
Chosen(v) == \E b \in Ballots : ChosenIn(b, v)

(* Safety: at most one value is ever chosen. *)
AtMostOneChosen ==
    \A v, w \in Values : Chosen(v) /\ Chosen(w) => v = w

(* An acceptor never accepts below its own promise. *)
AcceptedNotAbovePromise ==
    \A a \in Acceptors : maxVBal[a] <= maxBal[a]
=============================================================================
