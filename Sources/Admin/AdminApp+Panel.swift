import ConstantTime
import Foundation
import Hummingbird
import Store

/// The steps every panel handler shares: require a session, resolve and authorize the tenant
/// in the path, read the form and check its CSRF token, render a page.
extension AdminApp {
    /// Runs `body` for a signed-in administrator; anyone else is sent to the login form at `/`.
    func withPanel(_ request: Request, _ body: (PanelAuth) async throws -> Response) async throws -> Response {
        guard let auth = await panelAuth(request) else { return Reply.redirect("/") }
        return try await body(auth)
    }

    /// Runs `body` with the tenant named by the `:tenant` path parameter, if this administrator may see it.
    func withTenant(
        _ request: Request, _ context: AdminRequestContext,
        _ body: (PanelAuth, TenantRecord) async throws -> Response
    ) async throws -> Response {
        try await withPanel(request) { auth in
            guard let text = context.parameters.get("tenant"), let uuid = UUID(uuidString: text),
                let record = try? await store.tenantRecord(uuid)
            else {
                return page(auth, tenant: nil, title: "Not found", body: "<p>There is no such tenant.</p>", status: .notFound)
            }
            guard auth.principal.mayAccess(uuid) else {
                securityEvent(
                    "ForbiddenTenant", account: auth.principal.user.loginName, address: context.remoteAddress, tenant: auth.principal.user.tenant)
                return page(auth, tenant: nil, title: "Forbidden", body: "<p>You may manage only your own tenant.</p>", status: .forbidden)
            }
            return try await body(auth, record)
        }
    }

    /// Like `withTenant`, for a form submission: the form must carry this session's CSRF token.
    func withTenantForm(
        _ request: Request, _ context: AdminRequestContext,
        _ body: (PanelAuth, TenantRecord, FormData) async throws -> Response
    ) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        return try await withTenant(request, context) { auth, tenant in
            guard checkCSRF(form, auth) else { return csrfFailure(auth) }
            return try await body(auth, tenant, form)
        }
    }

    /// A form submission outside a tenant (tenant list, tokens, logout).
    func withForm(
        _ request: Request, _ context: AdminRequestContext,
        _ body: (PanelAuth, FormData) async throws -> Response
    ) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        return try await withPanel(request) { auth in
            guard checkCSRF(form, auth) else { return csrfFailure(auth) }
            return try await body(auth, form)
        }
    }

    func checkCSRF(_ form: FormData, _ auth: PanelAuth) -> Bool {
        ConstantTime.equals(form["_csrf"] ?? "", auth.session.csrfToken)
    }

    func csrfFailure(_ auth: PanelAuth) -> Response {
        page(
            auth, tenant: nil, title: "Form expired",
            body:
                "<p class=\"error\">This form is missing its security token or it is out of date (CSRF check failed). Go back, reload the page and try again.</p>",
            status: .forbidden)
    }

    /// A full panel page around `body`.
    func page(
        _ auth: PanelAuth, tenant: TenantRecord?, title: String, body: String, active: String = "",
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let flash = sessions.takeFlash(auth.session.id)
        return Reply.html(PanelLayout.render(title: title, auth: auth, tenant: tenant, active: active, flash: flash, body: body), status: status)
    }

    /// Redirects after a successful change, with a message for the next page.
    func done(_ auth: PanelAuth, _ location: String, _ message: String) -> Response {
        sessions.setFlash(message, for: auth.session.id)
        return Reply.redirect(location)
    }

    static func tenantPath(_ tenant: TenantRecord, _ suffix: String = "") -> String {
        "/tenants/\(tenant.tenant.uuid.uuidString.lowercased())\(suffix)"
    }
}
