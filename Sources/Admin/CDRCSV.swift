import Foundation
import Hummingbird
import PBX
import Store

/// The call history as CSV (RFC 4180): a header row, then one row per record in Asterisk's CDR
/// field order (cdr_csv's, with `linkedid` after `uniqueid`), times as `YYYY-MM-DD HH:MM:SS` in UTC.
/// Every field is quoted; one that a spreadsheet would run as a formula gets a leading `'`.
enum CDRCSV {
    /// Most rows one export holds by default (the newest matching ones; `--cdr-export-max-rows`).
    static let defaultMaximumRows = 1_000_000
    /// The largest `--cdr-export-max-rows` accepted.
    static let maximumRowsCeiling = 100_000_000
    /// Rows read from the store, and written to the client, at a time.
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
        var buffer = ByteBuffer()
        append(fields, to: &buffer)
        return String(buffer: buffer)
    }

    /// Appends `fields` as one line: each quoted, `"` doubled, neutralized; bytes written straight
    /// into `buffer` (no Foundation string per field: an export writes millions of fields).
    static func append(_ fields: [String], to buffer: inout ByteBuffer) {
        let quote = UInt8(ascii: "\"")
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeInteger(quote)
            let value = neutralized(field)
            if value.utf8.contains(quote) {
                for byte in value.utf8 {
                    buffer.writeInteger(byte)
                    if byte == quote { buffer.writeInteger(quote) }
                }
            } else {
                buffer.writeString(value)
            }
            buffer.writeInteger(quote)
        }
        buffer.writeStaticString("\r\n")
    }

    /// A value starting with `=`, `+`, `-`, `@`, tab or CR, unless it is a phone number, behind a `'`.
    static func neutralized(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        let phoneNumber = value.unicodeScalars.allSatisfy { "0123456789+-*# ".unicodeScalars.contains($0) }
        return phoneNumber ? value : "'" + value
    }

    /// The CSV of every record matching `query` (newest first), up to `maximumRows`, streamed: the
    /// store is read `chunk` rows at a time by keyset paging (`CentralinoStore.cdrs(_:after:limit:)`)
    /// and each chunk is written to the client before the next is read, so an export of a million rows
    /// holds one chunk in memory. The first chunk is read before the response starts (a store that
    /// fails then answers 500); a failure later cuts the body short (no terminating chunk), which an
    /// HTTP client reports as an incomplete response.
    static func export(_ store: CentralinoStore, _ query: CDRQuery, maximumRows: Int) async throws -> ResponseBody {
        let firstSize = min(chunk, maximumRows)
        let first = try await store.cdrs(query, after: nil, limit: firstSize)
        return ResponseBody { writer in
            try await writer.write(ByteBuffer(string: line(header)))
            var page = first
            var asked = firstSize
            var rows = 0
            while true {
                var buffer = ByteBuffer()
                for stored in page { append(row(stored.record), to: &buffer) }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                rows += page.count
                // A short page is the last one.
                guard page.count == asked, rows < maximumRows, let last = page.last else { break }
                asked = min(chunk, maximumRows - rows)
                page = try await store.cdrs(query, after: CDRCursor(last), limit: asked)
            }
            try await writer.finish(nil)
        }
    }

    static func reply(_ body: ResponseBody, fileName: String) -> Response {
        var response = Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: body)
        response.headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
