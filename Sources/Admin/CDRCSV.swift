import Foundation
import Hummingbird
import PBX
import Store

/// The call history as CSV (RFC 4180): a header row, then one row per record in Asterisk's CDR
/// field order (cdr_csv's, with `linkedid` after `uniqueid`), times as `YYYY-MM-DD HH:MM:SS` in UTC.
/// Every field is quoted; one that a spreadsheet would run as a formula gets a leading `'`.
enum CDRCSV {
    /// Most rows one export holds (the newest matching ones); the page says so when there are more.
    static let maximumRows = 50_000
    /// Rows read from the store at a time.
    static let chunk = 1000

    static let header = [
        "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start", "answer", "end",
        "duration", "billsec", "disposition", "amaflags", "uniqueid", "linkedid", "userfield",
    ]

    static func row(_ record: CallDetailRecord) -> [String] {
        return [
            record.accountCode, record.source, record.destination, record.destinationContext, record.callerID, record.channel,
            record.destinationChannel, record.lastApplication, record.lastData, CallDetailRecord.format(record.start, utc: true),
            record.answer.map { CallDetailRecord.format($0, utc: true) } ?? "", CallDetailRecord.format(record.end, utc: true),
            String(record.duration), String(record.billableSeconds), record.disposition.rawValue, "DOCUMENTATION",
            record.uniqueID, record.linkedID, record.userField,
        ]
    }

    static func line(_ fields: [String]) -> String {
        fields.map { "\"" + neutralized($0).replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") + "\r\n"
    }

    /// A value starting with `=`, `+`, `-`, `@`, tab or CR, unless it is a phone number, behind a `'`.
    static func neutralized(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        let phoneNumber = value.unicodeScalars.allSatisfy { "0123456789+-*# ".unicodeScalars.contains($0) }
        return phoneNumber ? value : "'" + value
    }

    /// The CSV of every record matching `query` (newest first), up to `maximumRows`.
    static func export(_ store: CentralinoStore, _ query: CDRQuery) async throws -> String {
        var text = line(header)
        var query = query
        query.limit = chunk
        query.offset = 0
        var rows = 0
        while rows < maximumRows {
            let page = try await store.cdrs(query)
            for stored in page.records.prefix(maximumRows - rows) { text += line(row(stored.record)) }
            rows += page.records.count
            if page.records.count < chunk { break }
            query.offset += chunk
        }
        return text
    }

    static func reply(_ text: String, fileName: String) -> Response {
        var response = Reply.text(text, contentType: "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
