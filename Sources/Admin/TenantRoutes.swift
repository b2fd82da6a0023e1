import Foundation
import Hummingbird
import Store

/// Tenant pages, for the system administrator only: list, create, edit, delete.
enum TenantRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants") { request, _ -> Response in
            try await app.withPanel(request) { auth in
                guard auth.principal.isSystemAdmin else { return Reply.redirect(AuthRoutes.home(auth.principal)) }
                return await list(app, auth)
            }
        }
        router.post("/tenants") { request, context -> Response in
            try await app.withForm(request, context) { auth, form in
                guard auth.principal.isSystemAdmin else { return forbidden(app, auth) }
                do {
                    let record = try await app.store.createTenant(
                        name: form.text("name"), domain: form.text("domain"), toneCountry: form.text("tone_country"))
                    return app.done(auth, "/tenants", "Tenant \(record.tenant.name) created with UUID \(record.tenant.uuid.uuidString.lowercased()).")
                } catch let error as AdminStoreError {
                    return await list(app, auth, error: error, form: form)
                }
            }
        }
        router.get("/tenants/:tenant/edit") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                guard auth.principal.isSystemAdmin else { return forbidden(app, auth) }
                return edit(app, auth, tenant, capacity: await app.live.homeCapacity(tenant: tenant.tenant.uuid))
            }
        }
        router.post("/tenants/:tenant/edit") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                guard auth.principal.isSystemAdmin else { return forbidden(app, auth) }
                do {
                    try await app.store.updateTenant(
                        tenant.tenant.uuid, name: form.text("name"), domain: form.text("domain"), toneCountry: form.text("tone_country"),
                        limits: try TenantLimitsForm.limits(from: form))
                    return app.done(auth, "/tenants", "Tenant \(form.text("name")) saved.")
                } catch let error as AdminStoreError {
                    return edit(app, auth, tenant, error: error, form: form, capacity: await app.live.homeCapacity(tenant: tenant.tenant.uuid))
                }
            }
        }
        router.post("/tenants/:tenant/delete") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                guard auth.principal.isSystemAdmin else { return forbidden(app, auth) }
                do {
                    await app.live.closeAMISessions(tenant: tenant.tenant.uuid, username: nil)
                    try await app.store.deleteTenant(tenant.tenant.uuid)
                    return app.done(auth, "/tenants", "Tenant \(tenant.tenant.name) deleted.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, error: error, form: nil)
                }
            }
        }
    }

    static func forbidden(_ app: AdminApp, _ auth: PanelAuth) -> Response {
        app.page(auth, tenant: nil, title: "Forbidden", body: "<p>Only the system administrator manages tenants.</p>", status: .forbidden)
    }

    static func list(_ app: AdminApp, _ auth: PanelAuth, error: AdminStoreError? = nil, form: FormData? = nil) async -> Response {
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.tenantRecords()) ?? []).map { record -> [String] in
            let path = AdminApp.tenantPath(record)
            return [
                "<a href=\"\(path)\">\(HTML.escape(record.tenant.name))</a>", HTML.escape(record.tenant.domain),
                "<code>\(record.tenant.uuid.uuidString.lowercased())</code>", record.amiEnabled ? "on" : "off",
                "<a href=\"\(path)/edit\">Edit</a> "
                    + HTML.buttonForm(
                        action: "\(path)/delete", csrf: csrf, label: "Delete", style: "danger",
                        confirm: "Delete tenant \(record.tenant.name) with all its extensions, trunks and AMI users?"),
            ]
        }
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let general = error.flatMap { ["name", "domain", "tone_country"].contains($0.field) ? nil : $0.message }
        let body = """
            \(general.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            \(HTML.table(["Name", "Domain", "UUID", "AMI", ""], rows: rows, empty: "No tenant.", id: "tenants"))
            <section class="card"><h2>New tenant</h2>
            <form class="row" method="post" action="/tenants" id="tenant-form">\(HTML.csrfField(csrf))
            \(HTML.input("name", label: "Name", value: form?.text("name") ?? "", error: fieldError("name"), required: true))
            \(HTML.input("domain", label: "SIP domain (default: the name)", value: form?.text("domain") ?? "", error: fieldError("domain")))
            \(HTML.input("tone_country", label: "Tone country", value: form?.text("tone_country") ?? "it", error: fieldError("tone_country")))
            <button type="submit">Create</button></form></section>
            """
        return app.page(auth, tenant: nil, title: "Tenants", body: body, active: "tenants", status: error.map { Reply.status(of: $0) } ?? .ok)
    }

    static func edit(
        _ app: AdminApp, _ auth: PanelAuth, _ record: TenantRecord, error: AdminStoreError? = nil, form: FormData? = nil,
        capacity: LiveTenantCapacity? = nil
    ) -> Response {
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let body = """
            <form class="stack" method="post" action="\(AdminApp.tenantPath(record, "/edit"))" id="tenant-form">\(HTML.csrfField(auth.session.csrfToken))
            <p>UUID <code>\(record.tenant.uuid.uuidString.lowercased())</code> (never changes)</p>
            \(HTML.input("name", label: "Name", value: form?.text("name") ?? record.tenant.name, error: fieldError("name"), required: true))
            \(HTML.input("domain", label: "SIP domain", value: form?.text("domain") ?? record.tenant.domain, error: fieldError("domain"), required: true))
            \(HTML.input("tone_country", label: "Tone country", value: form?.text("tone_country") ?? record.tenant.toneCountry, error: fieldError("tone_country")))
            <p class="muted">Changing the domain invalidates the extensions' SIP passwords (their digests use the domain as realm): set them again.</p>
            \(TenantLimitsForm.fields(record.tenant.limits, form: form, error: error, capacity: capacity))
            <button type="submit">Save</button></form>
            """
        return app.page(auth, tenant: record, title: "Edit tenant", body: body, status: error.map { Reply.status(of: $0) } ?? .ok)
    }
}
