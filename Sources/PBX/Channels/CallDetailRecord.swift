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

    /// Whole seconds from `from` to `to`, 0 when negative or not a number, at most `maximumSeconds`
    /// (a row edited in the store may hold any double: `Int(_:)` of NaN or 1e300 would trap).
    static func seconds(from: Double, to: Double) -> Int {
        let milliseconds = ((to - from) * 1000).rounded(.down)
        guard milliseconds > 0 else { return 0 }  // also NaN
        return Int(min(milliseconds, Double(maximumSeconds) * 1000)) / 1000
    }

    /// The longest duration a record reports (about 317 years; only an edited row comes near it).
    public static let maximumSeconds = 10_000_000_000
    /// The times `format` writes: 0001-01-01T00:00:00Z up to 10000-01-01T00:00:00Z (excluded).
    public static let formattableTimes = -62_135_596_800.0..<253_402_300_800.0

    /// `"name" <number>` as Asterisk's CDR engine builds it: `ast_callerid_merge()` of party A's snapshot,
    /// whose name and number are never NULL, so both parts are always there (`"" <>` when neither is
    /// known, Asterisk's test_cdr); in the name, `"`, `\` and control characters but tab and vertical
    /// tab get a `\` before them (`ast_escape_quoted()`). Each part ends at a NUL, as Asterisk's C strings do.
    public static func mergedCallerID(name: String, number: String) -> String {
        var escaped = ""
        for scalar in upToNUL(name).unicodeScalars {
            let value = scalar.value
            let printable = (0x20...0x7E).contains(value) && value != 0x22 && value != 0x5C
            if !(printable || value == 0x09 || value == 0x0B || value > 0x7F) { escaped.append("\\") }
            escaped.unicodeScalars.append(scalar)
        }
        return "\"\(escaped)\" <\(upToNUL(number))>"
    }

    /// Most bytes of a text field, as Asterisk's `struct ast_cdr` holds them (`AST_MAX_EXTENSION` and
    /// `AST_MAX_ACCOUNT_CODE`, 80, less the terminating NUL).
    public static let maximumFieldLength = 79
    /// Most bytes of `uniqueID` and `linkedID` (`AST_MAX_UNIQUEID`, 152, less the NUL).
    public static let maximumIDLength = 151
    /// Most bytes of `userField` (`AST_MAX_USER_FIELD`, 256, less the NUL).
    public static let maximumUserFieldLength = 255

    /// This record with every text field cut to what Asterisk's record holds (`ast_copy_string()` into
    /// the fixed buffers of `struct ast_cdr`), at a character boundary and at a NUL: a caller name of
    /// 60 KB in a SIP From header makes a record of at most about 1.5 KB in the AMI event, the writer's
    /// queue and the store, and a NUL in it (a SIP quoted string may hold one) never reaches the store
    /// (PostgreSQL refuses text with NUL: the whole batch, other tenants' records with it, would fail).
    public func truncatedToAsteriskFieldSizes() -> CallDetailRecord {
        var record = self
        for field in [
            \CallDetailRecord.source, \.destination, \.destinationContext, \.callerID, \.channel, \.destinationChannel,
            \.lastApplication, \.lastData, \.accountCode,
        ] as [WritableKeyPath<CallDetailRecord, String>] {
            record[keyPath: field] = Self.truncated(record[keyPath: field], toBytes: Self.maximumFieldLength)
        }
        record.uniqueID = Self.truncated(uniqueID, toBytes: Self.maximumIDLength)
        record.linkedID = Self.truncated(linkedID, toBytes: Self.maximumIDLength)
        record.userField = Self.truncated(userField, toBytes: Self.maximumUserFieldLength)
        return record
    }

    /// `text` up to its first NUL (where the C string Asterisk copies ends).
    static func upToNUL(_ text: String) -> Substring {
        text.utf8.firstIndex(of: 0).map { text[..<$0] } ?? text[...]
    }

    /// The longest start of `text`, up to its first NUL, of at most `limit` UTF-8 bytes that ends at a
    /// character boundary.
    static func truncated(_ whole: String, toBytes limit: Int) -> String {
        let text = upToNUL(whole)
        guard text.utf8.count > limit else { return String(text) }
        var bytes = 0
        var end = text.startIndex
        for index in text.indices {
            let width = text[index].utf8.count
            guard bytes + width <= limit else { break }
            bytes += width
            end = text.index(after: index)
        }
        return String(text[..<end])
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
    /// the C library's `localtime_r`/`gmtime_r` (no calendar object per record). A time that is not a
    /// number or outside the years 1-9999 (only a row edited in the store holds one) is blank, as an
    /// unanswered record's answer time: `time_t(_:)` of it would trap.
    public static func format(_ time: Double, utc: Bool) -> String {
        guard formattableTimes.contains(time) else { return "" }
        var seconds = time_t(time.rounded(.down))
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
