import Foundation

/// One call detail record as Asterisk's CDR engine writes it: a party A (the channel whose record
/// it is), at most one party B (the channel it dialled or was bridged with), times and outcome.
/// Built by the call engine when party A hangs up (`Calls/CDRRecorder.swift`), stored per tenant.
public struct CallDetailRecord: Sendable, Hashable {
    /// Asterisk's dispositions (`ast_cdr_disp2str`).
    public enum Disposition: String, Sendable, CaseIterable {
        case answered = "ANSWERED"
        case noAnswer = "NO ANSWER"
        case busy = "BUSY"
        case failed = "FAILED"
    }

    public var tenant: UUID
    /// Seconds since the epoch; `answer` is nil when party A never answered in this record.
    public var start: Double
    public var answer: Double?
    public var end: Double
    /// Party A's caller ID number.
    public var source: String
    public var destination: String
    public var destinationContext: String
    /// Party A's caller ID as `"name" <number>`.
    public var callerID: String
    public var channel: String
    public var destinationChannel: String
    public var lastApplication: String
    public var lastData: String
    public var disposition: Disposition
    public var accountCode: String
    public var uniqueID: String
    public var linkedID: String
    public var userField: String

    public init(
        tenant: UUID, start: Double, answer: Double?, end: Double, source: String, destination: String,
        destinationContext: String, callerID: String, channel: String, destinationChannel: String,
        lastApplication: String, lastData: String, disposition: Disposition, accountCode: String,
        uniqueID: String, linkedID: String, userField: String = ""
    ) {
        self.tenant = tenant
        self.start = start
        self.answer = answer
        self.end = end
        self.source = source
        self.destination = destination
        self.destinationContext = destinationContext
        self.callerID = callerID
        self.channel = channel
        self.destinationChannel = destinationChannel
        self.lastApplication = lastApplication
        self.lastData = lastData
        self.disposition = disposition
        self.accountCode = accountCode
        self.uniqueID = uniqueID
        self.linkedID = linkedID
        self.userField = userField
    }

    /// Whole seconds from start to end (Asterisk truncates).
    public var duration: Int { Self.seconds(from: start, to: end) }
    /// Whole seconds from answer to end; 0 when never answered.
    public var billableSeconds: Int { answer.map { Self.seconds(from: $0, to: end) } ?? 0 }

    static func seconds(from: Double, to: Double) -> Int {
        max(0, Int(((to - from) * 1000).rounded(.down)) / 1000)
    }

    /// `"name" <number>` as `ast_callerid_merge()` builds it (either part alone when the other is empty).
    public static func mergedCallerID(name: String, number: String) -> String {
        switch (name.isEmpty, number.isEmpty) {
        case (false, false): return "\"\(name)\" <\(number)>"
        case (false, true): return name
        case (true, false): return number
        case (true, true): return ""
        }
    }

    /// The fields of `Event: Cdr` in cdr_manager's order; times as `%Y-%m-%d %H:%M:%S` in the node's
    /// local time zone (cdr_manager's `ast_localtime`), or in UTC.
    public func managerFields(utc: Bool = false) -> [(String, String)] {
        [
            ("AccountCode", accountCode), ("Source", source), ("Destination", destination),
            ("DestinationContext", destinationContext), ("CallerID", callerID), ("Channel", channel),
            ("DestinationChannel", destinationChannel), ("LastApplication", lastApplication), ("LastData", lastData),
            ("StartTime", Self.format(start, utc: utc)), ("AnswerTime", answer.map { Self.format($0, utc: utc) } ?? ""),
            ("EndTime", Self.format(end, utc: utc)), ("Duration", String(duration)), ("BillableSeconds", String(billableSeconds)),
            ("Disposition", disposition.rawValue), ("AMAFlags", "DOCUMENTATION"), ("UniqueID", uniqueID), ("UserField", userField),
        ]
    }

    /// `2026-12-07 03:05:24`: the format of the Cdr event's times (cdr_manager's DATE_FORMAT), from
    /// the C library's `localtime_r`/`gmtime_r` (no calendar object per record).
    public static func format(_ time: Double, utc: Bool) -> String {
        var seconds = time_t(time.rounded(.down))
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
