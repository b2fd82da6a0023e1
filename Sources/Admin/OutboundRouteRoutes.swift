import Foundation
import Hummingbird
import PBX
import Store

/// Outbound route pages of a tenant: list with a create form, edit, delete. Prefixes may hold
/// `*`, `#` and `+`, so they are percent-encoded in paths.
enum OutboundRouteRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/routes") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in await list(app, auth, tenant) }
        }
        router.post("/tenants/:tenant/routes") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                do {
                    try await app.store.saveOutboundRoute(try route(form), tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/routes"), "Route \(form.text("prefix")) created.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error, form: form)
                }
            }
        }
        router.get("/tenants/:tenant/routes/:prefix/edit") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                guard let route = try? await app.store.outboundRoute(prefix(context), tenant: tenant.tenant.uuid) else {
                    return ExtensionRoutes.notFound(app, auth, tenant)
                }
                return await edit(app, auth, tenant, route)
            }
        }
        router.post("/tenants/:tenant/routes/:prefix/edit") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let old = prefix(context)
                guard let current = try? await app.store.outboundRoute(old, tenant: tenant.tenant.uuid) else {
                    return ExtensionRoutes.notFound(app, auth, tenant)
                }
                do {
                    try await app.store.saveOutboundRoute(try route(form), replacing: old, tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/routes"), "Route \(form.text("prefix")) saved.")
                } catch let error as AdminStoreError {
                    return await edit(app, auth, tenant, current, error: error, form: form)
                }
            }
        }
        router.post("/tenants/:tenant/routes/:prefix/delete") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                do {
                    try await app.store.deleteOutboundRoute(prefix(context), tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/routes"), "Route \(prefix(context)) deleted.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error)
                }
            }
        }
    }

    static func prefix(_ context: AdminRequestContext) -> String {
        let raw = context.parameters.get("prefix") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func encoded(_ prefix: String) -> String {
        prefix.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? prefix
    }

    static func route(_ form: FormData) throws -> OutboundRoute {
        let strip = try form.number("strip", ProvisioningRules.strip, default: 0)
        return OutboundRoute(prefix: form.text("prefix"), trunk: form.text("trunk"), strip: strip)
    }

    static func fields(_ app: AdminApp, _ tenant: TenantRecord, _ form: FormData?, _ route: OutboundRoute?, _ error: AdminStoreError?) async -> String
    {
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let selected = form?.text("trunk") ?? route?.trunk ?? ""
        let trunks = ((try? await app.store.trunkRecords(of: tenant.tenant.uuid)) ?? []).map(\.trunk.name)
        let options = trunks.map { "<option\($0 == selected ? " selected" : "")>\(HTML.escape($0))</option>" }.joined()
        return """
            \(HTML.input("prefix", label: "Prefix", value: form?.text("prefix") ?? route?.prefix ?? "", error: fieldError("prefix"), placeholder: "0", required: true))
            <label>Trunk<select name="trunk">\(options)</select>\(fieldError("trunk").map { "<span class=\"field-error\">\(HTML.escape($0))</span>" } ?? "")</label>
            \(HTML.input("strip", label: "Digits to strip", value: form?.text("strip") ?? route.map { String($0.strip) } ?? "0", error: fieldError("strip")))
            """
    }

    static func list(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, error: AdminStoreError? = nil, form: FormData? = nil
    ) async -> Response {
        let base = AdminApp.tenantPath(tenant, "/routes")
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.outboundRoutes(of: tenant.tenant.uuid)) ?? []).map { r -> [String] in
            [
                "<code>\(HTML.escape(r.prefix))</code>", HTML.escape(r.trunk), String(r.strip),
                "<a href=\"\(base)/\(encoded(r.prefix))/edit\">Edit</a> "
                    + HTML.buttonForm(
                        action: "\(base)/\(encoded(r.prefix))/delete", csrf: csrf, label: "Delete", style: "danger",
                        confirm: "Delete route \(r.prefix)?"),
            ]
        }
        let fieldsHTML = await fields(app, tenant, form, nil, error)
        let body = """
            \(HTML.table(["Prefix", "Trunk", "Strip", ""], rows: rows, empty: "No outbound route yet.", id: "routes"))
            <section class="card"><h2>New outbound route</h2>
            <form class="row" method="post" action="\(base)" id="route-form">\(HTML.csrfField(csrf))
            \(fieldsHTML)
            <button type="submit">Create</button></form></section>
            """
        return app.page(
            auth, tenant: tenant, title: "Outbound routes", body: body, active: "routes", status: error.map { Reply.status(of: $0) } ?? .ok)
    }

    static func edit(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, _ route: OutboundRoute, error: AdminStoreError? = nil,
        form: FormData? = nil
    ) async -> Response {
        let fieldsHTML = await fields(app, tenant, form, route, error)
        let body = """
            <form class="stack" method="post" action="\(AdminApp.tenantPath(tenant, "/routes/\(encoded(route.prefix))/edit"))" id="route-form">
            \(HTML.csrfField(auth.session.csrfToken))
            \(fieldsHTML)
            <button type="submit">Save</button></form>
            """
        return app.page(
            auth, tenant: tenant, title: "Edit outbound route", body: body, active: "routes", status: error.map { Reply.status(of: $0) } ?? .ok)
    }
}
