import Foundation
import Hummingbird
import PBX
import Store

/// Extension pages of a tenant: list with a create form, edit (name, new password), delete.
enum ExtensionRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/extensions") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in await list(app, auth, tenant) }
        }
        router.post("/tenants/:tenant/extensions") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                do {
                    let ext = try await app.store.createExtension(
                        form.text("number"), name: form.text("name"), password: form["password"] ?? "",
                        tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/extensions"), "Extension \(ext.number) created.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error, form: form)
                }
            }
        }
        router.get("/tenants/:tenant/extensions/:number/edit") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                let number = context.parameters.get("number") ?? ""
                guard let ext = try? await app.store.extensionRecord(number, tenant: tenant.tenant.uuid) else { return notFound(app, auth, tenant) }
                return edit(app, auth, tenant, ext)
            }
        }
        router.post("/tenants/:tenant/extensions/:number/edit") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let number = context.parameters.get("number") ?? ""
                guard let ext = try? await app.store.extensionRecord(number, tenant: tenant.tenant.uuid) else { return notFound(app, auth, tenant) }
                do {
                    try await app.store.updateExtension(number, name: form.text("name"), password: form["password"], tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/extensions"), "Extension \(number) saved.")
                } catch let error as AdminStoreError {
                    return edit(app, auth, tenant, ext, error: error)
                }
            }
        }
        router.post("/tenants/:tenant/extensions/:number/delete") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                let number = context.parameters.get("number") ?? ""
                do {
                    try await app.store.deleteExtension(number, tenant: tenant.tenant.uuid)
                    return app.done(auth, AdminApp.tenantPath(tenant, "/extensions"), "Extension \(number) deleted.")
                } catch let error as AdminStoreError {
                    return await list(app, auth, tenant, error: error)
                }
            }
        }
    }

    static func notFound(_ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord) -> Response {
        app.page(auth, tenant: tenant, title: "Not found", body: "<p>There is no such item in this tenant.</p>", status: .notFound)
    }

    static func list(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, error: AdminStoreError? = nil, form: FormData? = nil
    ) async -> Response {
        let base = AdminApp.tenantPath(tenant, "/extensions")
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.extensions(of: tenant.tenant.uuid)) ?? []).map { ext -> [String] in
            [
                "<code>\(HTML.escape(ext.number))</code>", HTML.escape(ext.name ?? ""), HTML.escape("\(ext.number)@\(tenant.tenant.domain)"),
                "<a href=\"\(base)/\(HTML.escape(ext.number))/edit\">Edit</a> "
                    + HTML.buttonForm(
                        action: "\(base)/\(ext.number)/delete", csrf: csrf, label: "Delete", style: "danger",
                        confirm: "Delete extension \(ext.number)?"),
            ]
        }
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let body = """
            \(HTML.table(["Number", "Name", "SIP address", ""], rows: rows, empty: "No extension yet.", id: "extensions"))
            <section class="card"><h2>New extension</h2>
            <form class="row" method="post" action="\(base)" id="extension-form">\(HTML.csrfField(csrf))
            \(HTML.input("number", label: "Number", value: form?.text("number") ?? "", error: fieldError("number"), required: true))
            \(HTML.input("name", label: "Name", value: form?.text("name") ?? "", error: fieldError("name")))
            \(HTML.input("password", label: "SIP password", type: "password", error: fieldError("password"), required: true, extra: "autocomplete=\"new-password\""))
            <button type="submit">Create</button></form></section>
            """
        return app.page(
            auth, tenant: tenant, title: "Extensions", body: body, active: "extensions", status: error.map { Reply.status(of: $0) } ?? .ok)
    }

    static func edit(_ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, _ ext: Extension, error: AdminStoreError? = nil) -> Response {
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let body = """
            <form class="stack" method="post" action="\(AdminApp.tenantPath(tenant, "/extensions/\(ext.number)/edit"))" id="extension-form">
            \(HTML.csrfField(auth.session.csrfToken))
            <p>Extension <code>\(HTML.escape(ext.number))</code></p>
            \(HTML.input("name", label: "Name", value: ext.name ?? "", error: fieldError("name")))
            \(HTML.input("password", label: "New SIP password (empty: unchanged)", type: "password", error: fieldError("password"), extra: "autocomplete=\"new-password\""))
            <button type="submit">Save</button></form>
            """
        return app.page(
            auth, tenant: tenant, title: "Edit extension", body: body, active: "extensions", status: error.map { Reply.status(of: $0) } ?? .ok)
    }
}
