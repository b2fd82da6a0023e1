import Foundation
import Hummingbird
import PBX
import Store

/// Trunk pages of a tenant: list with a create form, edit, delete.
enum TrunkRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/trunks") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in await list(app, auth, tenant) }
        }
        router.post("/tenants/:tenant/trunks") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                do {
                    try await app.store.saveTrunk(try trunk(form), password: form["password"], tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/trunks"), "Trunk \(form.text("name")) created.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error, form: form)
                }
            }
        }
        router.get("/tenants/:tenant/trunks/:name/edit") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                guard let record = try? await app.store.trunkRecord(context.parameters.get("name") ?? "", tenant: tenant.tenant.uuid) else {
                    return ExtensionRoutes.notFound(app, auth, tenant)
                }
                return edit(app, auth, tenant, record)
            }
        }
        router.post("/tenants/:tenant/trunks/:name/edit") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let name = context.parameters.get("name") ?? ""
                guard let record = try? await app.store.trunkRecord(name, tenant: tenant.tenant.uuid) else {
                    return ExtensionRoutes.notFound(app, auth, tenant)
                }
                do {
                    try await app.store.saveTrunk(try trunk(form), password: form["password"], replacing: name, tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/trunks"), "Trunk \(form.text("name")) saved.")
                } catch let error as AdminStoreError {
                    return edit(app, auth, tenant, record, error: error, form: form)
                }
            }
        }
        router.post("/tenants/:tenant/trunks/:name/delete") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                let name = context.parameters.get("name") ?? ""
                do {
                    try await app.store.deleteTrunk(name, tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/trunks"), "Trunk \(name) deleted.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error)
                }
            }
        }
    }

    /// Reads a trunk from a form; port and transport are checked here, the rest by the store.
    static func trunk(_ form: FormData) throws -> Trunk {
        let port = try form.number("port", ProvisioningRules.trunkPort, default: 5060)
        let transportText = form.text("transport").isEmpty ? "udp" : form.text("transport")
        guard let transport = Trunk.Transport(rawValue: transportText) else {
            throw AdminStoreError(.invalid, field: "transport", "must be udp or tcp")
        }
        let rtpTimeout = form.text("rtp_timeout").isEmpty ? nil : try form.number("rtp_timeout", Trunk.rtpTimeoutField, default: 0)
        return Trunk(
            name: form.text("name"), host: form.text("host"), port: port, transport: transport, username: form.text("username"),
            rtpTimeout: rtpTimeout)
    }

    static func fields(_ form: FormData?, _ record: TrunkRecord?, _ error: AdminStoreError?) -> String {
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let value = { (key: String, current: String?) in form?.text(key) ?? current ?? "" }
        let transport = value("transport", record?.trunk.transport.rawValue)
        let options = Trunk.Transport.allCases.map { "<option\($0.rawValue == transport ? " selected" : "")>\($0.rawValue)</option>" }.joined()
        return """
            \(HTML.input("name", label: "Name", value: value("name", record?.trunk.name), error: fieldError("name"), required: true))
            \(HTML.input("host", label: "Host", value: value("host", record?.trunk.host), error: fieldError("host"), required: true))
            \(HTML.input("port", label: "Port", value: value("port", record.map { String($0.trunk.port) }) , error: fieldError("port"), placeholder: "5060"))
            <label>Transport<select name="transport">\(options)</select>\(fieldError("transport").map { "<span class=\"field-error\">\(HTML.escape($0))</span>" } ?? "")</label>
            \(HTML.input("username", label: "Username", value: value("username", record?.trunk.username), error: fieldError("username")))
            \(HTML.input("rtp_timeout", label: "RTP timeout (s, 0 = never, empty = node default)",
                         value: value("rtp_timeout", record?.trunk.rtpTimeout.map(String.init)), error: fieldError("rtp_timeout"), placeholder: "node default"))
            \(HTML.input("password", label: record?.hasPassword == true ? "Password (empty: unchanged)" : "Password", type: "password", error: fieldError("password"), extra: "autocomplete=\"new-password\""))
            """
    }

    static func list(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, error: AdminStoreError? = nil, form: FormData? = nil
    ) async -> Response {
        let base = AdminApp.tenantPath(tenant, "/trunks")
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.trunkRecords(of: tenant.tenant.uuid)) ?? []).map { r -> [String] in
            [
                HTML.escape(r.trunk.name), HTML.escape("\(r.trunk.host):\(r.trunk.port)"), r.trunk.transport.rawValue,
                HTML.escape(r.trunk.username ?? ""),
                "<a href=\"\(base)/\(HTML.escape(r.trunk.name))/edit\">Edit</a> "
                    + HTML.buttonForm(
                        action: "\(base)/\(r.trunk.name)/delete", csrf: csrf, label: "Delete", style: "danger",
                        confirm: "Delete trunk \(r.trunk.name) and its outbound routes?"),
            ]
        }
        let body = """
            \(HTML.table(["Name", "Host", "Transport", "Username", ""], rows: rows, empty: "No trunk yet.", id: "trunks"))
            <section class="card"><h2>New trunk</h2>
            <form class="row" method="post" action="\(base)" id="trunk-form">\(HTML.csrfField(csrf))
            \(fields(form, nil, error))
            <button type="submit">Create</button></form></section>
            """
        return app.page(auth, tenant: tenant, title: "Trunks", body: body, active: "trunks", status: error.map { Reply.status(of: $0) } ?? .ok)
    }

    static func edit(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, _ record: TrunkRecord, error: AdminStoreError? = nil,
        form: FormData? = nil
    ) -> Response {
        let body = """
            <form class="stack" method="post" action="\(AdminApp.tenantPath(tenant, "/trunks/\(record.trunk.name)/edit"))" id="trunk-form">
            \(HTML.csrfField(auth.session.csrfToken))
            \(fields(form, record, error))
            <button type="submit">Save</button></form>
            """
        return app.page(auth, tenant: tenant, title: "Edit trunk", body: body, active: "trunks", status: error.map { Reply.status(of: $0) } ?? .ok)
    }
}
