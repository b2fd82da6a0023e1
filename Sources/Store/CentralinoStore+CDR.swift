import Foundation
import PBX

/// Call detail records: batches written by the node's CDR writer, pages read by the call history
/// (panel, REST, CSV), and the retention sweep. Every query is scoped by tenant unless the caller
/// (the system administrator) asks for every tenant.
extension CentralinoStore {
    /// Inserts `records` in one transaction; a record whose tenant no longer exists is skipped.
    /// Returns how many were written.
    @discardableResult
    public func insertCDRs(_ records: [CallDetailRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        return try await database.write { db in
            var written = 0
            // A batch's records are of a few tenants; formatting a UUID as text costs an snprintf.
            var tenantIDs: [UUID: String] = [:]
            for record in records {
                let tenantID = tenantIDs[record.tenant] ?? record.tenant.uuidString.lowercased()
                tenantIDs[record.tenant] = tenantID
                try db.execute(
                    sql: """
                        INSERT INTO cdr (tenant_id, start, answer, "end", duration, billsec, src, dst, dcontext, clid, channel,
                            dstchannel, lastapp, lastdata, disposition, accountcode, uniqueid, linkedid, userfield)
                        SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM tenant WHERE uuid = ?
                        """,
                    arguments: [
                        record.start, record.answer, record.end, record.duration, record.billableSeconds, record.source,
                        record.destination, record.destinationContext, record.callerID, record.channel,
                        record.destinationChannel, record.lastApplication, record.lastData, record.disposition.rawValue,
                        record.accountCode, record.uniqueID, record.linkedID, record.userField,
                        tenantID,
                    ])
                written += db.changesCount
            }
            return written
        }
    }

    /// One page of records matching `query`, newest first, and the number matching in all.
    public func cdrs(_ query: CDRQuery) async throws -> CDRPage {
        let (conditions, arguments) = cdrConditions(query)
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let from = "FROM cdr JOIN tenant ON tenant.id = cdr.tenant_id \(filter)"
        let counted = arguments
        let paged = arguments + [query.limit, query.offset]
        return try await database.read { db in
            let total = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) \(from)", arguments: counted) ?? 0
            let rows = try db.fetchAll(
                sql: "SELECT cdr.*, tenant.uuid AS tenant_uuid \(from) ORDER BY cdr.start DESC, cdr.id DESC LIMIT ? OFFSET ?",
                arguments: paged)
            return CDRPage(total: total, records: try rows.map(Self.cdr))
        }
    }

    /// Up to `limit` records matching `query` (its `limit` and `offset` unused) that come after
    /// `cursor` in the history's order (newest first: `start`, then `id`, descending), without a count:
    /// keyset paging, so the CSV export's millionth row costs what its first did (an OFFSET scans
    /// every row it skips). Each call is a transaction of its own.
    public func cdrs(_ query: CDRQuery, after cursor: CDRCursor?, limit: Int) async throws -> [CDRRecord] {
        var (conditions, arguments) = cdrConditions(query)
        if let cursor {
            // (start, id) < (cursor.start, cursor.id), written so that both backends range-scan the start index.
            conditions.append("cdr.start <= ? AND (cdr.start < ? OR cdr.id < ?)")
            arguments += [cursor.start, cursor.start, cursor.id]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let paged = arguments + [min(max(limit, 1), CDRQuery.maximumLimit)]
        return try await database.read { db in
            try db.fetchAll(
                sql: """
                    SELECT cdr.*, tenant.uuid AS tenant_uuid FROM cdr JOIN tenant ON tenant.id = cdr.tenant_id \(filter)
                    ORDER BY cdr.start DESC, cdr.id DESC LIMIT ?
                    """,
                arguments: paged
            ).map(Self.cdr)
        }
    }

    /// The WHERE conditions of `query`'s filters and their arguments.
    func cdrConditions(_ query: CDRQuery) -> (conditions: [String], arguments: StoreArguments) {
        var conditions: [String] = []
        var arguments: StoreArguments = []
        if let tenant = query.tenant {
            conditions.append("tenant.uuid = ?")
            arguments.append(tenant.uuidString.lowercased())
        }
        if let from = query.from {
            conditions.append("cdr.start >= ?")
            arguments.append(from)
        }
        if let to = query.to {
            conditions.append("cdr.start < ?")
            arguments.append(to)
        }
        if let number = query.number, !number.isEmpty {
            let pattern = "%" + Self.likeEscaped(String(number.prefix(CDRQuery.maximumNumberLength))) + "%"
            conditions.append("(cdr.src \(database.dialect.caselessLike) ? ESCAPE '\\' OR cdr.dst \(database.dialect.caselessLike) ? ESCAPE '\\')")
            arguments.append(pattern)
            arguments.append(pattern)
        }
        if let disposition = query.disposition {
            conditions.append("cdr.disposition = ?")
            arguments.append(disposition.rawValue)
        }
        return (conditions, arguments)
    }

    /// Records the retention sweep deletes per transaction: a sweep of millions of rows never holds
    /// the write lock (SQLite's, or the PostgreSQL backend's advisory lock) for more than one chunk.
    public static let cdrDeleteChunk = 10_000

    /// Deletes the records that started before `cutoff` (seconds since the epoch), `chunk` at a time,
    /// each chunk in a transaction of its own; returns how many.
    @discardableResult
    public func deleteCDRs(startedBefore cutoff: Double, chunk: Int = cdrDeleteChunk) async throws -> Int {
        var deleted = 0
        while true {
            let count = try await deleteCDRChunk(startedBefore: cutoff, limit: chunk)
            deleted += count
            if count < chunk { return deleted }
        }
    }

    /// Deletes at most `limit` of the records that started before `cutoff`, in one transaction.
    @discardableResult
    public func deleteCDRChunk(startedBefore cutoff: Double, limit: Int) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM cdr WHERE id IN (SELECT id FROM cdr WHERE start < ? LIMIT ?)", arguments: [cutoff, max(limit, 1)])
            return db.changesCount
        }
    }

    static func cdr(_ row: StoreRow) throws -> CDRRecord {
        let uuidText: String = try row["tenant_uuid"]
        let disposition: String = try row["disposition"]
        return try CDRRecord(
            id: row["id"],
            record: CallDetailRecord(
                tenant: UUID(uuidString: uuidText) ?? UUID(), start: time(row, "start") ?? .nan, answer: time(row, "answer"),
                end: time(row, "end") ?? .nan,
                source: row["src"], destination: row["dst"], destinationContext: row["dcontext"], callerID: row["clid"],
                channel: row["channel"], destinationChannel: row["dstchannel"], lastApplication: row["lastapp"],
                lastData: row["lastdata"], disposition: CallDetailRecord.Disposition(rawValue: disposition) ?? .failed,
                accountCode: row["accountcode"], uniqueID: row["uniqueid"], linkedID: row["linkedid"], userField: row["userfield"]))
    }

    /// A time column as stored; nil when NULL or not a number (a row edited in the database: reading
    /// it as `Double` would trap). The formatting blanks NaN and absurd times.
    static func time(_ row: StoreRow, _ name: String) -> Double? {
        row.value(named: name).flatMap(Double.init(storeValue:))
    }

    /// `%`, `_` and `\` taken literally in a LIKE pattern with `ESCAPE '\'`.
    static func likeEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
