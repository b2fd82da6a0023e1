import Foundation
import PBX

/// Where finished call detail records go (the node's batching store writer). Called on an engine
/// loop; implementations must not block (queue, and drop over a bound).
package protocol CDRSink: Sendable {
    func record(_ records: [CallDetailRecord])
}

/// Builds call detail records from the engine's own events, as Asterisk's CDR engine builds them
/// from channel, dial and bridge messages (main/cdr.c), simplified to what this engine does:
///
/// - every channel is a party A with a record open from its creation;
/// - `DialBegin` from a caller gives the caller's open record its party B (a second target gets a
///   record of its own); the dialled channel is marked dialed and writes no record of its own
///   unless it has a party B;
/// - `DialEnd` sets the disposition from the dial status; any status but ANSWER closes the record;
///   an Originate's `DialEnd` (no caller) does the same for the originated channel's record;
/// - either party leaving the dial's bridge, or party B hanging up, closes the record; party A
///   hanging up closes all of its own;
/// - an application started after party A's record closed opens a new record (Asterisk's new CDR
///   on a dialplan location change), so `Dial` then `Hangup()` writes two when the dial failed or
///   the callee hung up first (Asterisk's test_cdr_single_bridge_continue);
/// - the answer time is party A's (or the record's start, when party A was already up);
/// - records are handed over when party A hangs up: unanswered ones too (Asterisk's `unanswered=yes`),
///   each text field cut to the size Asterisk's record holds (`truncatedToAsteriskFieldSizes`).
///
/// Loop-confined like the engine. `now` is a parameter so tests drive time.
package final class CDRRecorder {
    /// One record in the making.
    struct Draft {
        var start: Double
        var end: Double?
        var answer: Double?
        var partyB: (name: String, uniqueID: String)?
        var application = ""
        var data = ""
        /// Dial fixes the application of its record (`AST_CDR_LOCK_APP`).
        var applicationLocked = false
        var context: String
        var exten: String
        var disposition: CallDetailRecord.Disposition?
        var isOpen: Bool { end == nil }
    }

    /// A channel as party A, with its records (a class: updated in place on every event).
    final class Party {
        let tenant: UUID
        let name: String
        let uniqueID: String
        let linkedID: String
        var callerIDName = ""
        var callerIDNumber = ""
        var accountCode = ""
        var answeredAt: Double?
        /// Created by Dial as a target: no record without a party B (`snapshot_is_dialed`).
        var isDialed = false
        var drafts: [Draft]

        init(tenant: UUID, name: String, uniqueID: String, linkedID: String, drafts: [Draft]) {
            self.tenant = tenant
            self.name = name
            self.uniqueID = uniqueID
            self.linkedID = linkedID
            self.drafts = drafts
        }
    }

    private(set) var parties: [String: Party] = [:]
    /// Party B's uniqueid → the party A uniqueids whose records name it.
    private var partyOf: [String: Set<String>] = [:]
    /// Most channels tracked at once (per engine shard): beyond it new channels get no record. The
    /// node's channel cap (`--max-channels`) may not exceed it, so every channel gets its record.
    static let maximumParties = 20_000
    /// Most records one channel writes (a channel redirected into failing dials again and again): more are not kept.
    static let maximumRecordsPerChannel = 100

    package init() {}

    /// Feeds one engine event; returns the records finished by it (party A hung up), in order.
    package func observe(_ event: PBXEvent, now: Double) -> [CallDetailRecord] {
        let fields = Fields(event.fields)
        switch event.name {
        case "Newchannel":
            guard let id = fields["Uniqueid"], parties.count < Self.maximumParties else { return [] }
            parties[id] = Party(
                tenant: event.tenant, name: fields["Channel"] ?? "", uniqueID: id, linkedID: fields["Linkedid"] ?? id,
                drafts: [Draft(start: now, context: fields["Context"] ?? "", exten: fields["Exten"] ?? "")])
            refresh(id, fields, now: now)
        case "Newexten":
            guard let id = fields["Uniqueid"], let party = parties[id] else { return [] }
            if party.drafts.last?.isOpen != true {
                guard party.drafts.count < Self.maximumRecordsPerChannel else { return [] }
                party.drafts.append(Draft(start: now, context: fields["Context"] ?? "", exten: fields["Exten"] ?? ""))
            }
            let last = party.drafts.count - 1
            if !party.drafts[last].applicationLocked {
                party.drafts[last].application = fields["Application"] ?? ""
                party.drafts[last].data = fields["AppData"] ?? ""
                party.drafts[last].applicationLocked = party.drafts[last].application == "Dial"
            }
            refresh(id, fields, now: now)
        case "DialBegin":
            dialBegin(fields, now: now)
        case "DialEnd":
            dialEnd(fields, now: now)
        case "BridgeLeave":
            if let id = fields["Uniqueid"] { bridgeLeft(id, now: now) }
        case "Hangup":
            guard let id = fields["Uniqueid"] else { return [] }
            refresh(id, fields, now: now)
            return hangup(id, cause: Int(fields["Cause"] ?? "") ?? 0, now: now)
        default:
            if let id = fields["Uniqueid"] { refresh(id, fields, now: now) }
        }
        return []
    }

    /// Party A's latest snapshot (caller ID, account code, answer, dialplan location) from an event's channel block.
    private func refresh(_ id: String, _ fields: Fields, now: Double) {
        guard let party = parties[id] else { return }
        party.callerIDNumber = Self.known(fields["CallerIDNum"]) ?? party.callerIDNumber
        party.callerIDName = Self.known(fields["CallerIDName"]) ?? party.callerIDName
        party.accountCode = fields["AccountCode"] ?? party.accountCode
        if fields["ChannelState"] == "6", party.answeredAt == nil { party.answeredAt = now }
        if let last = party.drafts.indices.last, party.drafts[last].isOpen {
            if let context = fields["Context"] { party.drafts[last].context = context }
            if let exten = fields["Exten"] { party.drafts[last].exten = exten }
        }
    }

    private func dialBegin(_ fields: Fields, now: Double) {
        guard let target = fields["DestUniqueid"] else { return }
        guard let caller = fields["Uniqueid"] else {
            // An Originate dials the channel itself (no caller): Asterisk's dial API names its application.
            if let last = parties[target]?.drafts.indices.last, parties[target]?.drafts[last].application.isEmpty == true {
                parties[target]?.drafts[last].application = "AppDial2"
                parties[target]?.drafts[last].data = "(Outgoing Line)"
            }
            return
        }
        parties[target]?.isDialed = true
        guard let party = parties[caller] else { return }
        let partyB = (name: fields["DestChannel"] ?? "", uniqueID: target)
        if let last = party.drafts.indices.last, party.drafts[last].isOpen, party.drafts[last].partyB == nil {
            party.drafts[last].partyB = partyB
        } else {
            guard party.drafts.count < Self.maximumRecordsPerChannel else { return }
            let template = party.drafts.last
            var draft = Draft(start: now, context: template?.context ?? "", exten: template?.exten ?? "")
            draft.application = template?.application ?? ""
            draft.data = template?.data ?? ""
            draft.applicationLocked = template?.applicationLocked ?? false
            draft.partyB = partyB
            party.drafts.append(draft)
        }
        partyOf[target, default: []].insert(caller)
    }

    private func dialEnd(_ fields: Fields, now: Double) {
        guard let target = fields["DestUniqueid"], let status = fields["DialStatus"] else { return }
        let disposition = Self.disposition(dialStatus: status)
        let ends = status != "ANSWER"
        if let caller = fields["Uniqueid"] {
            guard let party = parties[caller],
                let index = party.drafts.lastIndex(where: { $0.isOpen && $0.partyB?.uniqueID == target })
            else { return }
            party.drafts[index].disposition = disposition
            if ends { close(&party.drafts[index], party: party, now: now, cause: nil) }
        } else {
            guard let party = parties[target], let index = party.drafts.lastIndex(where: { $0.isOpen && $0.partyB == nil }) else { return }
            party.drafts[index].disposition = disposition
            if ends { close(&party.drafts[index], party: party, now: now, cause: nil) }
        }
    }

    /// A party leaving the bridge of a dial ends that record, whichever party it is
    /// (`bridge_state_process_bridge_leave`): what party A runs next opens a new one.
    private func bridgeLeft(_ id: String, now: Double) {
        if let party = parties[id] {
            for index in party.drafts.indices
            where party.drafts[index].isOpen && party.drafts[index].partyB != nil && party.drafts[index].disposition == .answered {
                close(&party.drafts[index], party: party, now: now, cause: nil)
            }
        }
        for caller in partyOf[id] ?? [] {
            guard let party = parties[caller] else { continue }
            for index in party.drafts.indices where party.drafts[index].isOpen && party.drafts[index].partyB?.uniqueID == id {
                close(&party.drafts[index], party: party, now: now, cause: nil)
            }
        }
    }

    private func hangup(_ id: String, cause: Int, now: Double) -> [CallDetailRecord] {
        // As party B: the records that name it close.
        for caller in partyOf.removeValue(forKey: id) ?? [] {
            guard let party = parties[caller] else { continue }
            for index in party.drafts.indices where party.drafts[index].isOpen && party.drafts[index].partyB?.uniqueID == id {
                close(&party.drafts[index], party: party, now: now, cause: cause)
            }
        }
        guard let party = parties.removeValue(forKey: id) else { return [] }
        for index in party.drafts.indices where party.drafts[index].isOpen {
            close(&party.drafts[index], party: party, now: now, cause: cause)
        }
        for draft in party.drafts { if let b = draft.partyB { partyOf[b.uniqueID]?.remove(id) } }
        return party.drafts.compactMap { draft in
            if party.isDialed && draft.partyB == nil { return nil }
            return Self.record(draft, party)
        }
    }

    /// Asterisk's `cdr_object_finalize`: the end time, and a disposition from the answer or the cause when none was set.
    private func close(_ draft: inout Draft, party: Party, now: Double, cause: Int?) {
        draft.end = now
        draft.answer = party.answeredAt.map { max($0, draft.start) }
        if draft.disposition == nil {
            if draft.answer != nil {
                draft.disposition = .answered
            } else if let cause, cause != 0 {
                draft.disposition = Self.disposition(cause: cause)
            } else {
                draft.disposition = .failed
            }
        }
    }

    static func record(_ draft: Draft, _ party: Party) -> CallDetailRecord {
        let end = draft.end ?? draft.start
        return CallDetailRecord(
            tenant: party.tenant, start: draft.start, answer: draft.answer, end: end, source: party.callerIDNumber,
            destination: draft.exten, destinationContext: draft.context,
            callerID: CallDetailRecord.mergedCallerID(name: party.callerIDName, number: party.callerIDNumber),
            channel: party.name, destinationChannel: draft.partyB?.name ?? "", lastApplication: draft.application,
            lastData: draft.data, disposition: draft.disposition ?? .noAnswer, accountCode: party.accountCode,
            uniqueID: party.uniqueID, linkedID: party.linkedID
        ).truncatedToAsteriskFieldSizes()
    }

    /// `dial_status_to_disposition()` with Asterisk's defaults (congestion → FAILED, cancel → NO ANSWER).
    static func disposition(dialStatus: String) -> CallDetailRecord.Disposition {
        switch dialStatus {
        case "ANSWER": return .answered
        case "BUSY": return .busy
        case "CANCEL", "NOANSWER": return .noAnswer
        default: return .failed
        }
    }

    /// `cdr_object_set_disposition()`: causes it does not map leave the record's NULL disposition, shown as NO ANSWER.
    static func disposition(cause: Int) -> CallDetailRecord.Disposition {
        switch cause {
        case 17: return .busy
        case 34, 3, 20: return .failed
        default: return .noAnswer
        }
    }

    /// `<unknown>` in an event block is an empty value in a record.
    static func known(_ value: String?) -> String? {
        guard let value else { return nil }
        return value == "<unknown>" ? "" : value
    }

    /// An event's fields by name (the unprefixed channel block comes first, as the engine builds them).
    struct Fields {
        let pairs: [(String, String)]
        init(_ pairs: [(String, String)]) { self.pairs = pairs }
        /// The first field called `name` (lengths compared first: most names differ in length, and that
        /// test is inlined, where a comparison of two strings is a call).
        subscript(name: String) -> String? {
            let length = name.utf8.count
            return pairs.first { $0.0.utf8.count == length && $0.0 == name }?.1
        }
    }
}
