import Foundation
import Hummingbird
import PBX
import Store

/// The "Call history" page of a tenant (`/tenants/{id}/calls`): its call detail records, newest
/// first, filtered by date range, number and disposition, 50 a page, and the same selection as CSV
/// (`/tenants/{id}/calls.csv`). A tenant's administrator reaches only its own tenant (`withTenant`).
enum CDRRoutes {
    static let pageSize = 50

    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/calls") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                let parameters = request.uri.queryParameters
                do {
                    var filter = try CDRFilter.parse { name in name == "limit" || name == "offset" ? nil : parameters.get(name) }
                    let page = try parameters.get("page").map { try CDRFilter.integer($0, field: "page", in: 1...100_000) } ?? 1
                    filter.limit = pageSize
                    filter.offset = (page - 1) * pageSize
                    let result = try await app.store.cdrs(filter.query(tenant: tenant.tenant.uuid))
                    return app.page(
                        auth, tenant: tenant, title: "Call history",
                        body: body(tenant, filter, { parameters.get($0) ?? "" }, result, page: page, error: nil),
                        active: "calls")
                } catch let error as AdminStoreError {
                    let empty = CDRFilter(limit: pageSize, offset: 0)
                    return app.page(
                        auth, tenant: tenant, title: "Call history",
                        body: body(tenant, empty, { parameters.get($0) ?? "" }, CDRPage(total: 0, records: []), page: 1, error: error),
                        active: "calls",
                        status: .unprocessableContent)
                }
            }
        }
        router.get("/tenants/:tenant/calls.csv") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                let parameters = request.uri.queryParameters
                do {
                    let filter = try CDRFilter.parse { name in name == "limit" || name == "offset" ? nil : parameters.get(name) }
                    let body = try await CDRCSV.export(
                        app.store, filter.query(tenant: tenant.tenant.uuid), maximumRows: app.configuration.cdrExportMaximumRows)
                    return CDRCSV.reply(body, fileName: "calls-\(tenant.tenant.name).csv")
                } catch let error as AdminStoreError {
                    return Reply.text("\(error.field): \(error.message)\n", status: .unprocessableContent)
                }
            }
        }
    }

    static func body(
        _ tenant: TenantRecord, _ filter: CDRFilter, _ value: (String) -> String, _ result: CDRPage, page: Int, error: AdminStoreError?
    ) -> String {
        let base = AdminApp.tenantPath(tenant, "/calls")
        func fieldError(_ field: String) -> String? { error?.field == field ? error?.message : nil }
        let selected = value("disposition").uppercased().replacingOccurrences(of: "_", with: " ")
        let options = ([("", "Any")] + CallDetailRecord.Disposition.allCases.map { ($0.rawValue, $0.rawValue) })
            .map { "<option value=\"\(HTML.escape($0.0))\"\($0.0 == selected ? " selected" : "")>\(HTML.escape($0.1))</option>" }.joined()
        let form = """
            <form class="row" method="get" action="\(base)" id="cdr-filter">
            \(HTML.input("from", label: "From (UTC)", value: value("from"), type: "date", error: fieldError("from")))
            \(HTML.input("to", label: "To (UTC, inclusive)", value: value("to"), type: "date", error: fieldError("to")))
            \(HTML.input("number", label: "Number", value: value("number"), error: fieldError("number"), placeholder: "source or destination"))
            <label>Disposition<select name="disposition" id="f-disposition">\(options)</select>\(fieldError("disposition").map { "<span class=\"field-error\" role=\"alert\">\(HTML.escape($0))</span>" } ?? "")</label>
            <button type="submit">Filter</button>
            </form>
            """
        let rows = result.records.map { stored -> [String] in
            let record = stored.record
            return [
                HTML.escape(CallDetailRecord.format(record.start, utc: true)), HTML.escape(record.source), HTML.escape(record.destination),
                "<code>\(HTML.escape(record.channel))</code>", "<code>\(HTML.escape(record.destinationChannel))</code>",
                HTML.escape(record.lastApplication), "<span class=\"disposition\">\(HTML.escape(record.disposition.rawValue))</span>",
                String(record.duration), String(record.billableSeconds), HTML.escape(record.accountCode),
            ]
        }
        let table = HTML.table(
            [
                "Start (UTC)", "Source", "Destination", "Channel", "Destination channel", "Application", "Disposition", "Duration", "Billed",
                "Account",
            ],
            rows: rows, empty: "No call matches.", id: "cdr")
        let filters = filter.parameters
        var links: [String] = []
        if page > 1 {
            links.append(
                "<a rel=\"prev\" href=\"\(HTML.escape(base + "?" + CDRFilter.queryString(filters + [("page", String(page - 1))])))\">Newer</a>")
        }
        if page * pageSize < result.total {
            links.append(
                "<a rel=\"next\" href=\"\(HTML.escape(base + "?" + CDRFilter.queryString(filters + [("page", String(page + 1))])))\">Older</a>")
        }
        let first = result.total == 0 ? 0 : (page - 1) * pageSize + 1
        let last = (page - 1) * pageSize + result.records.count
        let csv = AdminApp.tenantPath(tenant, "/calls.csv") + (filters.isEmpty ? "" : "?" + CDRFilter.queryString(filters))
        return """
            <section class="card">\(form)</section>
            <p id="cdr-summary">Calls \(first)–\(last) of \(result.total) · <a id="cdr-export" href="\(HTML.escape(csv))" download>Export CSV</a></p>
            \(table)
            <nav class="pager" id="cdr-pages">\(links.joined(separator: " "))</nav>
            """
    }
}
