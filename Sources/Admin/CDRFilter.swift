import Foundation
import PBX
import Store

/// The call history's filters as the panel's form and `GET /api/v1/cdr` send them: `from` and `to`
/// (a date `2026-12-07`, UTC, `to` taking in that whole day; or an RFC 3339 time; or seconds since
/// the epoch), `number` (contained in the source or the destination), `disposition` (`ANSWERED`,
/// `NO ANSWER` or `NO_ANSWER`, `BUSY`, `FAILED`), and a page (`limit`, `offset`). A bad value is
/// refused with the field it is about.
struct CDRFilter: Sendable {
    var from: Double?
    var to: Double?
    var number: String?
    var disposition: CallDetailRecord.Disposition?
    var limit: Int
    var offset: Int

    static let defaultLimit = 50
    /// The largest `offset` a page may start at (deep OFFSET paging costs the store a scan of what it skips).
    static let maximumOffset = 10_000_000

    /// Reads the filters from query parameters (`parameter(name)` returns a parameter's value).
    static func parse(_ parameter: (String) -> String?) throws -> CDRFilter {
        func text(_ name: String) -> String? {
            guard let value = parameter(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let from = try text("from").map { try time($0, field: "from", endOfDay: false) }
        let to = try text("to").map { try time($0, field: "to", endOfDay: true) }
        if let from, let to, to <= from { throw AdminStoreError(.invalid, field: "to", "must be after 'from'") }
        let number = text("number")
        if let number {
            guard number.utf8.count <= CDRQuery.maximumNumberLength, number.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else { throw AdminStoreError(.invalid, field: "number", "at most \(CDRQuery.maximumNumberLength) printable characters") }
        }
        let disposition = try text("disposition").map { value -> CallDetailRecord.Disposition in
            let normalized = value.uppercased().replacingOccurrences(of: "_", with: " ")
            guard let disposition = CallDetailRecord.Disposition(rawValue: normalized) else {
                throw AdminStoreError(.invalid, field: "disposition", "one of ANSWERED, NO ANSWER, BUSY, FAILED")
            }
            return disposition
        }
        let limit = try text("limit").map { try integer($0, field: "limit", in: 1...CDRQuery.maximumLimit) } ?? defaultLimit
        let offset = try text("offset").map { try integer($0, field: "offset", in: 0...maximumOffset) } ?? 0
        return CDRFilter(from: from, to: to, number: number, disposition: disposition, limit: limit, offset: offset)
    }

    func query(tenant: UUID?) -> CDRQuery {
        CDRQuery(tenant: tenant, from: from, to: to, number: number, disposition: disposition, limit: limit, offset: offset)
    }

    static func integer(_ text: String, field: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw AdminStoreError(.invalid, field: field, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// 10000-01-01T00:00:00Z: every time a filter holds is before it (and none before 1970), so that
    /// `parameters` writes it back as a date or an RFC 3339 time `time` reads again.
    static let latest = 253_402_300_800.0

    /// A date (UTC midnight; with `endOfDay`, the next midnight), an RFC 3339 time, or epoch seconds,
    /// from 1970 to 9999.
    static func time(_ text: String, field: String, endOfDay: Bool) throws -> Double {
        if let midnight = utcMidnight(text) { return midnight + (endOfDay ? 86_400 : 0) }
        if text.utf8.count <= 40, let instant = internetTime(text)?.timeIntervalSince1970, (0..<latest).contains(instant) {
            return instant
        }
        if text.utf8.count <= 12, let seconds = Int(text), (0..<latest).contains(Double(seconds)) { return Double(seconds) }
        throw AdminStoreError(.invalid, field: field, "a date (2026-12-07), an RFC 3339 time (2026-12-07T09:30:00Z) or seconds since 1970")
    }

    /// `2026-12-07` → that day's UTC midnight in seconds since 1970 (`timegm`); nil unless a real date.
    static func utcMidnight(_ text: String) -> Double? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
            (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = month - 1
        fields.tm_mday = day
        let seconds = timegm(&fields)
        // timegm normalises 2026-02-31 to March: refuse what it had to move.
        guard fields.tm_mon == month - 1, fields.tm_mday == day else { return nil }
        return Double(seconds)
    }

    private static func internetTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The filters as query parameters (without the page), for links to other pages and the CSV export.
    var parameters: [(String, String)] {
        var result: [(String, String)] = []
        if let from { result.append(("from", Self.dayOrTime(from))) }
        if let to { result.append(("to", Self.dayOrTime(to, endOfDay: true))) }
        if let number { result.append(("number", number)) }
        if let disposition { result.append(("disposition", disposition.rawValue)) }
        return result
    }

    /// `2026-12-07` when `time` is a UTC midnight (the day before, for an end of day) from 1970 on,
    /// otherwise RFC 3339.
    static func dayOrTime(_ time: Double, endOfDay: Bool = false) -> String {
        let day = time - (endOfDay ? 86_400 : 0)
        if time.truncatingRemainder(dividingBy: 86_400) == 0, day >= 0 {
            return String(CallDetailRecord.format(day, utc: true).prefix(10))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    static func queryString(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    /// Every byte but RFC 3986's unreserved characters percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(Character(UnicodeScalar(byte)))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}
