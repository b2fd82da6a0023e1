import Foundation
import PBX
import Store
import XCTest

/// Call detail records in the store (migration v6-cdr): batches written per tenant, pages read by
/// tenant with the history's filters, the retention sweep, a deleted tenant's records gone.
class CDRStoreTests: StoreBackendTestCase {
    func record(_ tenant: UUID, start: Double, src: String, dst: String, _ disposition: CallDetailRecord.Disposition) -> CallDetailRecord {
        CallDetailRecord(
            tenant: tenant, start: start, answer: disposition == .answered ? start + 2 : nil, end: start + 10, source: src,
            destination: dst, destinationContext: "internal", callerID: src, channel: "PJSIP/\(src)-1", destinationChannel: "PJSIP/\(dst)-2",
            lastApplication: "Dial", lastData: "PJSIP/\(dst)", disposition: disposition, accountCode: "acct",
            uniqueID: "\(start)", linkedID: "\(start)")
    }

    func testWrittenReadFilteredPagedAndSwept() async throws {
        let store = try await openStore()
        let acme = try await store.createTenant(name: "acme", domain: "acme.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        let other = try await store.createTenant(name: "other", domain: "other.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        let written = try await store.insertCDRs([
            record(acme, start: 1000, src: "100", dst: "101", .answered),
            record(acme, start: 2000, src: "100", dst: "3912345", .busy),
            record(acme, start: 3000, src: "101", dst: "100_%", .noAnswer),
            record(other, start: 1500, src: "100", dst: "101", .answered),
            record(UUID(), start: 1500, src: "100", dst: "101", .answered),
        ])
        XCTAssertEqual(written, 4, "a record of an unknown tenant is not written")

        var page = try await store.cdrs(CDRQuery(tenant: acme))
        XCTAssertEqual(page.total, 3)
        XCTAssertEqual(page.records.map(\.record.start), [3000, 2000, 1000], "newest first")
        XCTAssertTrue(page.records.allSatisfy { $0.record.tenant == acme }, "only the tenant's own")
        XCTAssertEqual(page.records.last?.record.billableSeconds, 8)
        XCTAssertEqual(page.records.last?.record.duration, 10)
        XCTAssertEqual(page.records.last?.record.answer, 1002)
        page = try await store.cdrs(CDRQuery(tenant: acme, number: "3912"))
        XCTAssertEqual(page.records.map(\.record.destination), ["3912345"])
        page = try await store.cdrs(CDRQuery(tenant: acme, number: "0_%"))
        XCTAssertEqual(page.records.map(\.record.destination), ["100_%"], "LIKE wildcards are literal")
        page = try await store.cdrs(CDRQuery(tenant: acme, disposition: .busy))
        XCTAssertEqual(page.records.map(\.record.disposition), [.busy])
        page = try await store.cdrs(CDRQuery(tenant: acme, from: 1500, to: 3000))
        XCTAssertEqual(page.records.map(\.record.start), [2000], "from inclusive, to exclusive")
        page = try await store.cdrs(CDRQuery(tenant: acme, limit: 2, offset: 2))
        XCTAssertEqual(page.total, 3)
        XCTAssertEqual(page.records.map(\.record.start), [1000])
        page = try await store.cdrs(CDRQuery(tenant: nil))
        XCTAssertEqual(page.total, 4, "every tenant (the system administrator's view)")

        let deleted = try await store.deleteCDRs(startedBefore: 2000)
        XCTAssertEqual(deleted, 2)
        page = try await store.cdrs(CDRQuery(tenant: nil))
        XCTAssertEqual(page.records.map(\.record.start), [3000, 2000])
        try await store.deleteTenant(acme)
        page = try await store.cdrs(CDRQuery(tenant: nil))
        XCTAssertEqual(page.total, 0, "a deleted tenant's records go with it")
    }

    /// Keyset pages (the CSV export's): after a cursor (start, id), newest first, ties on start broken
    /// by id, the filters applied, every record once across pages of any size.
    func testKeysetPagesCoverEveryRecordOnce() async throws {
        let store = try await openStore()
        let acme = try await store.createTenant(name: "acme", domain: "acme.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        let other = try await store.createTenant(name: "other", domain: "other.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        var records = (0..<25).map { record(acme, start: $0 < 12 ? 1000 : Double(1000 + $0), src: "100", dst: "10\($0 % 2)", .answered) }
        records.append(record(other, start: 1000, src: "100", dst: "101", .answered))
        let written = try await store.insertCDRs(records)
        XCTAssertEqual(written, 26)
        let everything = try await store.cdrs(CDRQuery(tenant: acme, limit: 1000)).records
        for size in [1, 5, 12, 25] {
            var pages: [CDRRecord] = []
            var cursor: CDRCursor?
            while true {
                let page = try await store.cdrs(CDRQuery(tenant: acme), after: cursor, limit: size)
                XCTAssertLessThanOrEqual(page.count, size)
                pages += page
                guard page.count == size, let last = page.last else { break }
                cursor = CDRCursor(last)
            }
            XCTAssertEqual(pages.map(\.id), everything.map(\.id), "pages of \(size): the history's order, every record once")
        }
        XCTAssertEqual(Set(everything.map(\.record.tenant)), [acme], "the tenant's own only")
        let odd = try await store.cdrs(CDRQuery(tenant: acme, number: "101"), after: nil, limit: 1000)
        XCTAssertEqual(odd.count, 12)
        XCTAssertTrue(odd.allSatisfy { $0.record.destination == "101" })
    }

    /// The retention sweep deletes in chunks, each committed on its own: one chunk leaves the rest,
    /// the whole sweep takes every old record (across chunks and an exact multiple) and no newer one.
    func testRetentionSweepDeletesInChunks() async throws {
        let store = try await openStore()
        let acme = try await store.createTenant(name: "acme", domain: "acme.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        let records = (0..<46).map { record(acme, start: Double(1000 + $0), src: "100", dst: "101", .answered) }
        let written = try await store.insertCDRs(records)
        XCTAssertEqual(written, 46)
        let one = try await store.deleteCDRChunk(startedBefore: 1025, limit: 10)
        XCTAssertEqual(one, 10, "one chunk: at most its limit")
        let afterOne = try await store.cdrs(CDRQuery(tenant: acme)).total
        XCTAssertEqual(afterOne, 36, "the chunk is committed on its own")
        let rest = try await store.deleteCDRs(startedBefore: 1025, chunk: 10)
        XCTAssertEqual(rest, 15, "the rest, over two chunks")
        let multiple = try await store.deleteCDRs(startedBefore: 1045, chunk: 10)
        XCTAssertEqual(multiple, 20, "an exact multiple of the chunk")
        let none = try await store.deleteCDRs(startedBefore: 1045, chunk: 10)
        XCTAssertEqual(none, 0)
        XCTAssertEqual(CentralinoStore.cdrDeleteChunk, 10_000)
        let left = try await store.cdrs(CDRQuery(tenant: acme))
        XCTAssertEqual(left.records.map(\.record.start), [1045], "the newer record stays")
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class CDRStoreTestsOnPostgres: CDRStoreTests {
    override class var backend: Backend { .postgres }
    override func testWrittenReadFilteredPagedAndSwept() async throws { try await super.testWrittenReadFilteredPagedAndSwept() }
    override func testRetentionSweepDeletesInChunks() async throws { try await super.testRetentionSweepDeletesInChunks() }
    override func testKeysetPagesCoverEveryRecordOnce() async throws { try await super.testKeysetPagesCoverEveryRecordOnce() }
}
