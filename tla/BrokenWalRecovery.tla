-------------------------- MODULE BrokenWalRecovery --------------------------
(***************************************************************************)
(* BROKEN twin of WalRecovery: a record is acknowledged as soon as it is   *)
(* written to the file, before fsync. The one change is marked BROKEN.     *)
(*                                                                         *)
(* Expected: AckedRecordsSurvive is violated. Record 1 is appended and     *)
(* acknowledged, the power fails before fsync, and after recovery the      *)
(* log does not have the record the client was told is safe.               *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS MaxRecords   \* records 1..MaxRecords are appended

VARIABLES file,        \* the log file's records, in order; Torn marks a torn record
          durable,     \* how many records at the start of the file are fsynced
          nextRecord,  \* the number of the next record to append
          acked,       \* ghost: records acknowledged to clients
          up           \* FALSE between a crash and the end of recovery

vars == <<file, durable, nextRecord, acked, up>>

Records == 1..MaxRecords
Torn == 0

(* The longest prefix of `f` without a torn record: what the scan keeps. *)
ValidPrefix(f) ==
    LET torn == {k \in 1..Len(f) : f[k] = Torn}
    IN  IF torn = {} THEN f
        ELSE SubSeq(f, 1, (CHOOSE k \in torn : \A j \in torn : k <= j) - 1)

Range(f) == {f[k] : k \in 1..Len(f)}

TypeOK ==
    /\ Len(file) <= MaxRecords + 1
    /\ \A k \in 1..Len(file) : file[k] \in Records \cup {Torn}
    /\ durable \in 0..Len(file)
    /\ nextRecord \in 1..(MaxRecords + 1)
    /\ acked \subseteq Records
    /\ up \in BOOLEAN

Init ==
    /\ file = <<>>
    /\ durable = 0
    /\ nextRecord = 1
    /\ acked = {}
    /\ up = TRUE

(* A client's record is written to the end of the file (not yet durable). *)
Write ==
    /\ up
    /\ nextRecord <= MaxRecords
    /\ file' = Append(file, nextRecord)
    /\ nextRecord' = nextRecord + 1
    /\ UNCHANGED <<durable, acked, up>>

(* fsync: everything written so far becomes durable. *)
Fsync ==
    /\ up
    /\ durable < Len(file)
    /\ durable' = Len(file)
    /\ UNCHANGED <<file, nextRecord, acked, up>>

(* The client is told its record is safe. BROKEN: before it is durable. *)
Acknowledge(r) ==
    /\ up
    /\ r \notin acked
    /\ \E k \in 1..Len(file) : file[k] = r \* BROKEN: should be 1..durable
    /\ acked' = acked \cup {r}
    /\ UNCHANGED <<file, durable, nextRecord, up>>

(* Power loss: the durable prefix survives, plus any part of the rest;     *)
(* the first record that did not survive may be left torn.                 *)
Crash ==
    /\ up
    /\ \E keep \in durable..Len(file), torn \in BOOLEAN :
        /\ torn => keep < Len(file)
        /\ file' = SubSeq(file, 1, keep) \o (IF torn THEN <<Torn>> ELSE <<>>)
        /\ durable' = keep
    /\ up' = FALSE
    /\ UNCHANGED <<nextRecord, acked>>

(* Restart: the recovery scan truncates at the first record that fails     *)
(* its CRC; what remains is durable.                                       *)
Recover ==
    /\ ~up
    /\ file' = ValidPrefix(file)
    /\ durable' = Len(ValidPrefix(file))
    /\ up' = TRUE
    /\ UNCHANGED <<nextRecord, acked>>

Next ==
    \/ Write
    \/ Fsync
    \/ \E r \in Records : Acknowledge(r)
    \/ Crash
    \/ Recover

Spec == Init /\ [][Next]_vars

(* Every acknowledged record is in the log whenever the node is up. *)
AckedRecordsSurvive == up => acked \subseteq Range(file)

(* After recovery the log holds no torn record, and records are in order. *)
RecoveredLogIsClean ==
    up => \A k \in 1..Len(file) : file[k] # Torn /\ (k > 1 => file[k - 1] < file[k])
=============================================================================
