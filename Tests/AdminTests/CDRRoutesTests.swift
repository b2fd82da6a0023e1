import Foundation
import Hummingbird
import HummingbirdTesting
import PBX
import Store
import Testing

@testable import Admin

/// The call history in process, over records put in the store: `GET /api/v1/cdr` scoped to the
/// token's tenant (the system token sees every tenant or the one named), its filters and their
/// refusals, the Call history page of a tenant administrator (paging, 403 for another tenant), the
/// CSV export and its quoting.
@Suite struct CDRRoutesTests {
    static func record(_ tenant: UUID, start: Double, dst: String, _ disposition: CallDetailRecord.Disposition) -> CallDetailRecord {
        CallDetailRecord(
            tenant: tenant, start: start, answer: disposition == .answered ? start + 1 : nil, end: start + 30, source: "100",
            destination: dst, destinationContext: "internal", callerID: "\"Ann\" <100>", channel: "PJSIP/100-00000001",
            destinationChannel: "PJSIP/\(dst)-00000002", lastApplication: "Dial", lastData: "PJSIP/\(dst),30", disposition: disposition,
            accountCode: "acct", uniqueID: "\(Int(start)).1", linkedID: "\(Int(start)).1")
    }

    /// 60 acme records (1 s apart from 2026-12-07 00:00 UTC; every third BUSY, the rest ANSWERED) and one of beta.
    static func fill(_ harness: AdminTestHarness) async throws {
        let day = 1_796_601_600.0  // 2026-12-07T00:00:00Z
        var records: [CallDetailRecord] = []
        for index in 0..<60 {
            let dst = index == 59 ? "=cmd" : "10\(index % 2)"
            let disposition: CallDetailRecord.Disposition = index % 3 == 0 ? .busy : .answered
            records.append(record(harness.acme.tenant.uuid, start: day + Double(index), dst: dst, disposition))
        }
        records.append(record(harness.beta.tenant.uuid, start: day + 100, dst: "777", .answered))
        #expect(try await harness.store.insertCDRs(records) == 61)
    }

    @Test func apiScopesFiltersAndRefuses() async throws {
        let harness = try await AdminTestHarness()
        try await Self.fill(harness)
        try await harness.application().test(.router) { client in
            let mine = try await APITests.call(client, .get, "/api/v1/cdr?limit=1000", token: harness.aliceToken)
            #expect(mine.status == .ok)
            let body = try #require(mine.body as? [String: Any])
            let records = try #require(body["records"] as? [[String: Any]])
            #expect(body["total"] as? Int == 60 && records.count == 60)
            #expect(records.allSatisfy { $0["tenant"] as? String == harness.acme.tenant.uuid.uuidString.lowercased() })
            #expect(records.first?["dst"] as? String == "=cmd", "newest first")
            #expect(records.first?["billsec"] as? Int == 29 && records.first?["duration"] as? Int == 30)
            #expect(records.last?["answer"] is NSNull, "the oldest is BUSY: never answered")
            let busy = try await APITests.call(client, .get, "/api/v1/cdr?disposition=busy&number=101&limit=5", token: harness.aliceToken)
            let busyBody = try #require(busy.body as? [String: Any])
            #expect(busyBody["total"] as? Int == 10, "indices 3, 9, … 57: BUSY and odd")
            #expect((busyBody["records"] as? [[String: Any]])?.count == 5)
            let window = try await APITests.call(
                client, .get, "/api/v1/cdr?from=2026-12-07T00:00:10Z&to=1796601620", token: harness.aliceToken)
            #expect((window.body as? [String: Any])?["total"] as? Int == 10)
            let beta = "?tenant=\(harness.beta.tenant.uuid.uuidString.lowercased())"
            #expect(try await APITests.call(client, .get, "/api/v1/cdr\(beta)", token: harness.aliceToken).status == .forbidden)
            let all = try await APITests.call(client, .get, "/api/v1/cdr", token: harness.systemToken)
            #expect((all.body as? [String: Any])?["total"] as? Int == 61, "the system administrator: every tenant")
            let named = try await APITests.call(client, .get, "/api/v1/cdr\(beta)", token: harness.systemToken)
            #expect((named.body as? [String: Any])?["total"] as? Int == 1)
            #expect(try await APITests.call(client, .get, "/api/v1/cdr?tenant=\(UUID().uuidString)", token: harness.systemToken).status == .notFound)
            for (query, field) in [
                ("from=x", "from"), ("to=2026-13-01", "to"), ("from=2026-02-31", "from"), ("disposition=CONGESTION", "disposition"),
                ("limit=1001", "limit"),
                ("offset=-1", "offset"), ("number=\(String(repeating: "1", count: 65))", "number"), ("number=1%0A2", "number"),
                ("from=2026-12-08&to=2026-12-07", "to"), ("format=xml", "format"),
            ] {
                let reply = try await APITests.call(client, .get, "/api/v1/cdr?\(query)", token: harness.aliceToken)
                #expect(reply.status == .unprocessableContent, "\(query)")
                #expect(((reply.body as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == field, "\(query)")
            }
            #expect(try await APITests.call(client, .get, "/api/v1/cdr", token: nil).status == .unauthorized)
        }
    }

    @Test func panelPageAndCSV() async throws {
        let harness = try await AdminTestHarness()
        try await Self.fill(harness)
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let first = try await session.get("\(harness.acmePath)/calls")
            #expect(first.status == .ok)
            #expect(first.body.contains("Calls 1–50 of 60"))
            #expect(first.body.contains("rel=\"next\"") && !first.body.contains("rel=\"prev\""))
            #expect(first.body.contains("aria-current=\"page\">Call history</a>"))
            #expect(first.body.contains("=cmd") && !first.body.contains(">777<"))
            let second = try await session.get("\(harness.acmePath)/calls?page=2")
            #expect(second.body.contains("Calls 51–60 of 60") && second.body.contains("rel=\"prev\"") && !second.body.contains("rel=\"next\""))
            let filtered = try await session.get("\(harness.acmePath)/calls?disposition=BUSY&from=2026-12-07&to=2026-12-07&number=101")
            #expect(filtered.body.contains("Calls 1–10 of 10"))
            #expect(filtered.body.contains("calls.csv?from=2026-12-07&amp;to=2026-12-07&amp;number=101&amp;disposition=BUSY"))
            let refused = try await session.get("\(harness.acmePath)/calls?from=tomorrow")
            #expect(refused.status == .unprocessableContent && refused.body.contains("field-error"))
            #expect(try await session.get("\(harness.betaPath)/calls").status == .forbidden)
            #expect(try await session.get("\(harness.betaPath)/calls.csv").status == .forbidden)

            let csv = try await session.get("\(harness.acmePath)/calls.csv?disposition=ANSWERED")
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"calls-acme.csv\"")
            let lines = csv.body.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 41, "a header and the 40 ANSWERED records")
            #expect(lines[0] == CDRCSV.line(CDRCSV.header).trimmingCharacters(in: .newlines))
            #expect(lines[1].hasPrefix(#""acct","100","'=cmd","internal","""Ann"" <100>","PJSIP/100-00000001","#))
            #expect(lines[1].contains(#""2026-12-07 00:00:59","2026-12-07 00:01:00","2026-12-07 00:01:29","30","29","ANSWERED""#))
        }
        #expect(CDRCSV.neutralized("+39 02 1234") == "+39 02 1234")
        #expect(CDRCSV.neutralized("-1") == "-1")
        #expect(CDRCSV.neutralized("+cmd|x") == "'+cmd|x")
        #expect(CDRCSV.neutralized("@SUM(1)") == "'@SUM(1)")
    }

    /// The CSV export reads the store by keyset (start, id) a chunk at a time and writes each chunk
    /// as it goes: 2,500 records, 1,500 of them starting the same second (ties across chunk edges),
    /// come out each once, newest first, in writes of at most `CDRCSV.chunk` rows; the export stops
    /// at `--cdr-export-max-rows` (the newest rows), in the panel's export and the API's.
    @Test func csvExportStreamsKeysetChunksUpToTheRowLimit() async throws {
        var harness = try await AdminTestHarness()
        let day = 1_796_601_600.0
        let tenant = harness.acme.tenant.uuid
        var records: [CallDetailRecord] = []
        for index in 0..<2500 {
            var record = Self.record(tenant, start: index < 1500 ? day : day + Double(index), dst: "101", .answered)
            record.uniqueID = "u\(index)"
            records.append(record)
        }
        #expect(try await harness.store.insertCDRs(records) == 2500)
        let writer = RecordingWriter()
        try await CDRCSV.export(harness.store, CDRQuery(tenant: tenant), maximumRows: 1_000_000).write(writer)
        #expect(writer.storage.finished)
        let writes = writer.storage.buffers.map { String(buffer: $0) }
        #expect(writes.count == 4, "the header, then three chunks of at most \(CDRCSV.chunk) rows")
        #expect(writes.dropFirst().allSatisfy { $0.split(separator: "\r\n").count <= CDRCSV.chunk })
        let lines = writes.joined().split(separator: "\r\n").dropFirst()
        let ids = lines.map { $0.components(separatedBy: "\",\"")[16] }  // every field is quoted
        #expect(lines.count == 2500 && Set(ids).count == 2500, "every record once")
        #expect(ids.first == "u2499" && ids.last == "u0", "newest first; ties by id, newest first")

        let limited = RecordingWriter()
        try await CDRCSV.export(harness.store, CDRQuery(tenant: tenant), maximumRows: 1001).write(limited)
        let limitedLines = limited.storage.buffers.map { String(buffer: $0) }.joined().split(separator: "\r\n")
        #expect(limitedLines.count == 1002 && limitedLines.last?.contains("\"u1499\"") == true, "the newest 1,001 rows")

        harness.configuration.cdrExportMaximumRows = 7
        let path = harness.acmePath
        let token = harness.aliceToken
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let csv = try await session.get("\(path)/calls.csv")
            #expect(csv.status == .ok && csv.body.split(separator: "\r\n").count == 8, "a header and 7 rows")
            let api = try await client.execute(
                uri: "/api/v1/cdr?format=csv", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(api.status == .ok && String(buffer: api.body).split(separator: "\r\n").count == 8)
            #expect(api.headers[.contentType] == "text/csv; charset=utf-8")
        }
    }

    /// A `ResponseBodyWriter` that keeps what is written, write by write.
    struct RecordingWriter: ResponseBodyWriter {
        final class Storage: @unchecked Sendable {
            var buffers: [ByteBuffer] = []
            var finished = false
        }
        let storage = Storage()
        mutating func write(_ buffer: ByteBuffer) async throws { storage.buffers.append(buffer) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws { storage.finished = true }
    }

    /// A stored time that is not a number or absurd (a row edited in the database) is blank in the
    /// CSV and the Cdr event and null in the JSON; durations stay within bounds; nothing traps.
    @Test func absurdStoredTimesAreBlank() async throws {
        for (start, end) in [(1e300, 1e300 + 5), (-Double.infinity, Double.infinity), (Double.nan, 1000.0), (1000.0, 1e300)] {
            var record = Self.record(UUID(), start: 0, dst: "101", .answered)
            record.start = start
            record.answer = .nan
            record.end = end
            #expect(record.duration >= 0 && record.duration <= CallDetailRecord.maximumSeconds, "\(start) \(end)")
            #expect(record.billableSeconds == 0)
            let fields = Dictionary(uniqueKeysWithValues: record.managerFields(utc: true))
            #expect(fields["AnswerTime"] == "")
            #expect(fields["StartTime"] == (start == 1000 ? "1970-01-01 00:16:40" : ""))
            let row = CDRCSV.row(record)
            #expect(row[9] == fields["StartTime"] && row[10] == "" && row[11] == fields["EndTime"])
            let json = try JSONSerialization.jsonObject(with: try Reply.encoder.encode(CDRAPIRoutes.Record(CDRRecord(id: 1, record: record))))
            #expect((json as? [String: Any])?["answer"] is NSNull)
            #expect(((json as? [String: Any])?["start"] is NSNull) == (start != 1000))
        }
        #expect(CallDetailRecord.format(253_402_300_799, utc: true) == "9999-12-31 23:59:59")
        #expect(CallDetailRecord.format(253_402_300_800, utc: true) == "")
        let harness = try await AdminTestHarness()
        var stored = Self.record(harness.acme.tenant.uuid, start: 0, dst: "101", .answered)
        stored.start = 1e300
        stored.end = .infinity
        #expect(try await harness.store.insertCDRs([stored]) == 1)
        try await harness.application().test(.router) { client in
            let api = try await APITests.call(client, .get, "/api/v1/cdr", token: harness.aliceToken)
            #expect(api.status == .ok)
            let records = (api.body as? [String: Any])?["records"] as? [[String: Any]]
            #expect(
                records?.first?["start"] is NSNull && records?.first?["end"] is NSNull
                    && records?.first?["duration"] as? Int == CallDetailRecord.maximumSeconds)
            let csv = try await APITests.call(client, .get, "/api/v1/cdr?format=csv", token: harness.aliceToken)
            #expect(csv.status == .ok)
        }
    }

    /// The pager's and the CSV link's filters read back as what was asked (a link never gets a 422),
    /// and a time outside 1970-9999 is refused.
    @Test func filterLinksReadBack() throws {
        for (name, value) in [
            ("to", "0"), ("to", "86400"), ("to", "1970-01-01T00:00:00Z"), ("from", "0"), ("from", "2026-12-07"), ("to", "2026-12-07"),
            ("from", "1796601610"), ("to", "9999-12-31"), ("from", "253402214400"),
        ] {
            let filter = try CDRFilter.parse { $0 == name ? value : nil }
            let written = Dictionary(uniqueKeysWithValues: filter.parameters)
            let again = try CDRFilter.parse { written[$0] }
            #expect(again.from == filter.from && again.to == filter.to, "\(name)=\(value) written as \(written)")
        }
        for (name, value) in [("from", "253402300800"), ("to", "999999999999"), ("from", "1900-01-01T00:00:00Z")] {
            #expect(throws: AdminStoreError.self, "\(name)=\(value)") { try CDRFilter.parse { $0 == name ? value : nil } }
        }
    }
}
