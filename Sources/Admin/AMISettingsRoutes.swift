import Foundation
import Hummingbird
import PBX
import Store

/// The AMI settings page (`/tenants/{uuid}/ami`), as KalliopePBX's: the service switch, the
/// username, a password set or generated and shown once, the ACL, the fixed permissions, the
/// tenant UUID and ready-to-paste Originate requests. Changes apply to the next login; disabling
/// the service or the user closes its live sessions at once.
enum AMISettingsRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/ami") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in await render(app, auth, tenant) }
        }
        router.post("/tenants/:tenant/ami/service") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let enabled = form["enabled"] == "1"
                try await app.store.setAMIEnabled(enabled, tenant: tenant.tenant.uuid)
                if !enabled { await app.live.closeAMISessions(tenant: tenant.tenant.uuid, username: nil) }
                return app.done(
                    auth, AdminApp.tenantPath(tenant, "/ami"), enabled ? "AMI service enabled." : "AMI service disabled; its sessions were closed.")
            }
        }
        router.post("/tenants/:tenant/ami/username") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let uuid = tenant.tenant.uuid
                let username = form.text("username")
                do {
                    if let current = try await app.store.amiUsers(of: uuid).first {
                        guard current.username != username else { return app.done(auth, AdminApp.tenantPath(tenant, "/ami"), "Username unchanged.") }
                        try await app.store.renameAMIUser(current.username, to: username, tenant: uuid)
                        await app.live.closeAMISessions(tenant: uuid, username: current.username)
                        return app.done(auth, AdminApp.tenantPath(tenant, "/ami"), "AMI username changed to \(username).")
                    }
                    let password = AdminSecrets.randomPassword()
                    try await app.store.createAMIUser(username, password: password, tenant: uuid)
                    return await render(app, auth, tenant, secret: (username, password), notice: "AMI user \(username) created.")
                } catch let error as AdminStoreError {
                    return await render(app, auth, tenant, error: error, values: ["username": username])
                }
            }
        }
        router.post("/tenants/:tenant/ami/password") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                guard let user = try await app.store.amiUsers(of: tenant.tenant.uuid).first else {
                    return await render(app, auth, tenant, error: AdminStoreError(.invalid, field: "username", "set a username first"))
                }
                let typed = form["password"] ?? ""
                let password = typed.isEmpty ? AdminSecrets.randomPassword() : typed
                do {
                    try await app.store.setAMIPassword(password, username: user.username, tenant: tenant.tenant.uuid)
                } catch let error as AdminStoreError {
                    return await render(app, auth, tenant, error: AdminStoreError(error.kind, field: "password", error.message))
                }
                return await render(app, auth, tenant, secret: (user.username, password), notice: "Password set; it applies to the next login.")
            }
        }
        router.post("/tenants/:tenant/ami/user-enabled") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let enabled = form["enabled"] == "1"
                let username = form.text("username")
                try await app.store.setAMIUserEnabled(enabled, username: username, tenant: tenant.tenant.uuid)
                if !enabled { await app.live.closeAMISessions(tenant: tenant.tenant.uuid, username: username) }
                return app.done(
                    auth, AdminApp.tenantPath(tenant, "/ami"),
                    enabled ? "User \(username) enabled." : "User \(username) disabled; its sessions were closed.")
            }
        }
        router.post("/tenants/:tenant/ami/acl/add") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let entry = form.text("entry")
                guard let user = try await app.store.amiUsers(of: tenant.tenant.uuid).first else {
                    return await render(
                        app, auth, tenant, error: AdminStoreError(.invalid, field: "entry", "set a username first"), values: ["entry": entry])
                }
                do {
                    try await app.store.addAMIPermit(entry, username: user.username, tenant: tenant.tenant.uuid)
                } catch let error as AdminStoreError {
                    return await render(
                        app, auth, tenant, error: AdminStoreError(error.kind, field: "entry", error.message), values: ["entry": entry])
                }
                return app.done(auth, AdminApp.tenantPath(tenant, "/ami"), "Added \(entry) to the ACL.")
            }
        }
        router.post("/tenants/:tenant/ami/eventfilter") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let text = form["eventfilter"] ?? ""
                guard let user = try await app.store.amiUsers(of: tenant.tenant.uuid).first else {
                    return await render(
                        app, auth, tenant, error: AdminStoreError(.invalid, field: "eventfilter", "set a username first"),
                        values: ["eventfilter": text])
                }
                let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                do {
                    try await app.store.setAMIEventFilter(lines, username: user.username, tenant: tenant.tenant.uuid)
                } catch let error as AdminStoreError {
                    return await render(
                        app, auth, tenant, error: AdminStoreError(error.kind, field: "eventfilter", error.message), values: ["eventfilter": text])
                }
                return app.done(
                    auth, AdminApp.tenantPath(tenant, "/ami"),
                    lines.isEmpty ? "Event filters removed; they apply from the next login." : "Event filters saved; they apply from the next login.")
            }
        }
        router.post("/tenants/:tenant/ami/acl/remove") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let entry = form.text("entry")
                guard let user = try await app.store.amiUsers(of: tenant.tenant.uuid).first else {
                    return Reply.redirect(AdminApp.tenantPath(tenant, "/ami"))
                }
                do {
                    try await app.store.removeAMIPermit(entry, username: user.username, tenant: tenant.tenant.uuid)
                } catch let error as AdminStoreError {
                    return await render(app, auth, tenant, error: AdminStoreError(error.kind, field: "entry", error.message))
                }
                return app.done(auth, AdminApp.tenantPath(tenant, "/ami"), "Removed \(entry) from the ACL.")
            }
        }
    }

    static func render(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, error: AdminStoreError? = nil,
        values: [String: String] = [:], secret: (username: String, password: String)? = nil, notice: String? = nil
    ) async -> Response {
        let uuid = tenant.tenant.uuid
        let users = (try? await app.store.amiUsers(of: uuid)) ?? []
        let example = ((try? await app.store.extensions(of: uuid)) ?? []).first?.number ?? "100"
        let body = AMISettingsPage(
            tenant: tenant, users: users, csrf: auth.session.csrfToken, exampleExtension: example,
            error: error, values: values, secret: secret, notice: notice
        ).html()
        let status: HTTPResponse.Status = error.map { Reply.status(of: $0) } ?? .ok
        return app.page(auth, tenant: tenant, title: "AMI settings", body: body, active: "ami", status: status)
    }
}
