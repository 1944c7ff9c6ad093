------------------------------- MODULE Paxos -------------------------------
(***************************************************************************)
(* Single-decree Paxos: acceptors, proposers with unique ballots, and a    *)
(* network modelled as the set of every message ever sent, so a message    *)
(* can be delivered late, more than once, or never.                        *)
(*                                                                         *)
(* Phase 1: a proposer sends Prepare(b) (Phase1a); an acceptor that has    *)
(* promised nothing higher promises b and reports the highest ballot it    *)
(* accepted and that ballot's value (Phase1b). Phase 2: with promises      *)
(* from a majority, the proposer proposes the value of the highest         *)
(* accepted ballot among them, or any value if none accepted one           *)
(* (Phase2a); an acceptor that has promised nothing higher accepts it      *)
(* (Phase2b). A value is chosen once a majority accepted it in one ballot. *)
(*                                                                         *)
(* Acceptor state is durable (the promise and the accepted proposal are    *)
(* persisted before any reply, which DurableDecision checks), so a crash   *)
(* and restart is the same as a slow acceptor and is not modelled apart.   *)
(*                                                                         *)
(* Rust counterpart (day2/section03-paxos): Phase1a = the proposer's       *)
(* prepare, Phase1b = the acceptor's on_prepare, Phase2a = the proposer's  *)
(* handling of a quorum of promises, Phase2b = the acceptor's on_accept.   *)
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
           /\ SafeValue(Q1b, v)
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
