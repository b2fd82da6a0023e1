import Foundation
import Hummingbird
import PBX
import Store

/// `GET /api/v1/cdr`: the call history (call detail records), newest first, with the panel's
/// filters and paging (`CDRFilter`), as JSON or, with `format=csv`, as the panel's CSV export.
/// A tenant's token sees only its tenant (naming another is 403); the system administrator's
/// sees every tenant, or the one named with `?tenant=`.
enum CDRAPIRoutes {
    static func register(on api: RouterGroup<AdminRequestContext>, app: AdminApp) {
        api.get("/cdr") { request, context -> Response in
            let tenant = try await APIRoutes.namedTenant(app, request, context)
            let parameters = request.uri.queryParameters
            let filter = try CDRFilter.parse { parameters.get($0) }
            switch parameters.get("format") ?? "json" {
            case "json":
                let page = try await app.store.cdrs(filter.query(tenant: tenant))
                return Reply.json(Body(total: page.total, limit: filter.limit, offset: filter.offset, records: page.records.map(Record.init)))
            case "csv":
                let body = try await CDRCSV.export(app.store, filter.query(tenant: tenant), maximumRows: app.configuration.cdrExportMaximumRows)
                return CDRCSV.reply(body, fileName: "cdr.csv")
            default:
                throw AdminStoreError(.invalid, field: "format", "json or csv")
            }
        }
    }

    struct Body: Encodable {
        var total: Int
        var limit: Int
        var offset: Int
        var records: [Record]
    }

    /// One record with Asterisk's CDR field names; times in RFC 3339 (UTC).
    struct Record: Encodable {
        var id: Int64
        var tenant: String
        /// nil (JSON null) for a time `CallDetailRecord.format` would blank (a row edited in the store).
        var start: Date?
        var answer: Date?
        var end: Date?
        var duration: Int
        var billsec: Int
        var src: String
        var dst: String
        var dcontext: String
        var clid: String
        var channel: String
        var dstchannel: String
        var lastapp: String
        var lastdata: String
        var disposition: String
        var amaflags: String
        var accountcode: String
        var uniqueid: String
        var linkedid: String
        var userfield: String

        init(_ stored: CDRRecord) {
            let record = stored.record
            id = stored.id
            tenant = record.tenant.uuidString.lowercased()
            start = Self.date(record.start)
            answer = record.answer.flatMap(Self.date)
            end = Self.date(record.end)
            duration = record.duration
            billsec = record.billableSeconds
            src = record.source
            dst = record.destination
            dcontext = record.destinationContext
            clid = record.callerID
            channel = record.channel
            dstchannel = record.destinationChannel
            lastapp = record.lastApplication
            lastdata = record.lastData
            disposition = record.disposition.rawValue
            amaflags = "DOCUMENTATION"
            accountcode = record.accountCode
            uniqueid = record.uniqueID
            linkedid = record.linkedID
            userfield = record.userField
        }

        static func date(_ time: Double) -> Date? {
            CallDetailRecord.formattableTimes.contains(time) ? Date(timeIntervalSince1970: time) : nil
        }

        enum CodingKeys: String, CodingKey {
            case id, tenant, start, answer, end, duration, billsec, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata
            case disposition, amaflags, accountcode, uniqueid, linkedid, userfield
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(tenant, forKey: .tenant)
            try container.encode(start, forKey: .start)  // null only for an unrepresentable stored time
            try container.encode(answer, forKey: .answer)  // null when never answered
            try container.encode(end, forKey: .end)
            try container.encode(duration, forKey: .duration)
            try container.encode(billsec, forKey: .billsec)
            try container.encode(src, forKey: .src)
            try container.encode(dst, forKey: .dst)
            try container.encode(dcontext, forKey: .dcontext)
            try container.encode(clid, forKey: .clid)
            try container.encode(channel, forKey: .channel)
            try container.encode(dstchannel, forKey: .dstchannel)
            try container.encode(lastapp, forKey: .lastapp)
            try container.encode(lastdata, forKey: .lastdata)
            try container.encode(disposition, forKey: .disposition)
            try container.encode(amaflags, forKey: .amaflags)
            try container.encode(accountcode, forKey: .accountcode)
            try container.encode(uniqueid, forKey: .uniqueid)
            try container.encode(linkedid, forKey: .linkedid)
            try container.encode(userfield, forKey: .userfield)
        }
    }
}

/// The OpenAPI description of `GET /cdr` (merged into `OpenAPIDocument`).
extension CDRAPIRoutes {
    static var openAPIPaths: [String: Any] {
        func query(_ name: String, _ schema: [String: Any], _ description: String) -> [String: Any] {
            ["name": name, "in": "query", "required": false, "schema": schema, "description": description]
        }
        let error: [String: Any] = ["content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        func failure(_ description: String) -> [String: Any] { ["description": description].merging(error) { a, _ in a } }
        let when = "A date (2026-12-07, UTC), an RFC 3339 time or seconds since 1970"
        return [
            "/cdr": [
                "get": [
                    "summary":
                        "Call history: call detail records as Asterisk's CDRs (one per party A/party B pair, unanswered ones too), newest first",
                    "parameters": [
                        query(
                            "tenant", ["type": "string", "format": "uuid"],
                            "A tenant's token: its own tenant only (another is 403). System administrator: this tenant, or every tenant when absent"),
                        query("from", ["type": "string"], "Records that started at or after this. " + when),
                        query("to", ["type": "string"], "Records that started before this (a date: through the end of that day). " + when),
                        query("number", ["type": "string", "maxLength": CDRQuery.maximumNumberLength], "Contained in the source or the destination"),
                        query("disposition", ["type": "string", "enum": ["ANSWERED", "NO ANSWER", "NO_ANSWER", "BUSY", "FAILED"]], "The outcome"),
                        query(
                            "limit", ["type": "integer", "minimum": 1, "maximum": CDRQuery.maximumLimit, "default": CDRFilter.defaultLimit],
                            "Page size"),
                        query("offset", ["type": "integer", "minimum": 0, "maximum": CDRFilter.maximumOffset, "default": 0], "Records skipped"),
                        query(
                            "format", ["type": "string", "enum": ["json", "csv"], "default": "json"],
                            "csv: every matching record (the newest --cdr-export-max-rows, default \(CDRCSV.defaultMaximumRows)) as text/csv, streamed, the panel's export"
                        ),
                    ],
                    "responses": [
                        "200": [
                            "description": "One page of records (JSON) or the CSV export",
                            "content": [
                                "application/json": ["schema": ["$ref": "#/components/schemas/CDRPage"]],
                                "text/csv": ["schema": ["type": "string"]],
                            ],
                        ],
                        "401": failure("Missing or invalid token"), "403": failure("Another tenant than the token's"),
                        "404": failure("No such tenant"), "422": failure("A filter is invalid (see error.field)"),
                    ],
                ]
            ]
        ]
    }

    static var openAPISchemas: [String: Any] {
        let string: [String: Any] = ["type": "string"]
        let integer: [String: Any] = ["type": "integer"]
        let time: [String: Any] = [
            "type": ["string", "null"], "format": "date-time",
            "description": "null only for a stored time outside the years 1-9999 or not a number (a row edited in the database)",
        ]
        let record: [String: Any] = [
            "type": "object", "additionalProperties": false,
            "required": [
                "id", "tenant", "start", "answer", "end", "duration", "billsec", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
                "lastapp", "lastdata", "disposition", "amaflags", "accountcode", "uniqueid", "linkedid", "userfield",
            ],
            "properties": [
                "id": integer, "tenant": ["type": "string", "format": "uuid"], "start": time,
                "answer": ["type": ["string", "null"], "format": "date-time", "description": "null when never answered"], "end": time,
                "duration": ["type": "integer", "description": "Seconds from start to end"],
                "billsec": ["type": "integer", "description": "Seconds from answer to end"], "src": string, "dst": string,
                "dcontext": string, "clid": string, "channel": string, "dstchannel": string, "lastapp": string, "lastdata": string,
                "disposition": ["type": "string", "enum": CallDetailRecord.Disposition.allCases.map(\.rawValue)],
                "amaflags": string, "accountcode": ["type": "string", "description": "The Originate's Account"], "uniqueid": string,
                "linkedid": ["type": "string", "description": "The call's id: every record of one call shares it"], "userfield": string,
            ],
        ]
        return [
            "CDR": record,
            "CDRPage": [
                "type": "object", "additionalProperties": false, "required": ["total", "limit", "offset", "records"],
                "properties": [
                    "total": ["type": "integer", "description": "Records matching the filters in all"], "limit": integer, "offset": integer,
                    "records": ["type": "array", "items": ["$ref": "#/components/schemas/CDR"]],
                ],
            ],
        ]
    }
}
