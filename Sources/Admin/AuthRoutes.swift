import ConstantTime
import Foundation
import Hummingbird
import Store

/// `/` (the login form for anyone not signed in), `/login`, `/logout`, the static assets,
/// `/healthz` and `/metrics`.
enum AuthRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/") { request, _ -> Response in
            if let auth = await app.panelAuth(request) { return Reply.redirect(home(auth.principal)) }
            return loginPage(app, request: request, error: nil, username: "", status: .ok)
        }
        router.post("/login") { request, context -> Response in
            try await login(app, request: request, context: context)
        }
        router.post("/logout") { request, context -> Response in
            try await app.withForm(request, context) { auth, _ in
                app.sessions.remove(auth.session.id)
                return Reply.redirect("/", cookies: [app.cookie(AdminApp.sessionCookie, value: "", request: request, maxAge: 0)])
            }
        }
        router.get("/static/app.css") { _, _ in Reply.text(AdminAssets.css, contentType: "text/css; charset=utf-8") }
        router.get("/static/app.js") { _, _ in Reply.text(AdminAssets.javascript, contentType: "text/javascript; charset=utf-8") }
        router.get("/healthz") { _, _ -> Response in
            do {
                try await app.store.checkReadable()
                if let problem = await app.live.healthProblem() { return Reply.json(["status": problem], status: .serviceUnavailable) }
                return Reply.json(["status": "ok"])
            } catch {
                return Reply.json(["status": "store unavailable"], status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            Reply.text(await app.metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// Where an administrator lands after login: the tenant list, or their tenant's dashboard.
    static func home(_ principal: AdminPrincipal) -> String {
        principal.user.tenant.map { "/tenants/\($0.uuidString.lowercased())" } ?? "/tenants"
    }

    static func login(_ app: AdminApp, request: Request, context: AdminRequestContext) async throws -> Response {
        let form = try await FormData.read(request, context: context)
        let username = form.text("username")
        let password = form["password"] ?? ""
        let address = context.remoteAddress
        guard let expected = request.cookies[AdminApp.loginCSRFCookie]?.value,
            ConstantTime.equals(form["_csrf"] ?? "", expected)
        else {
            return loginPage(
                app, request: request, error: "The login form expired (CSRF check failed). Please try again.", username: username, status: .forbidden)
        }
        let user = try? await app.store.adminUser(login: username)
        if app.throttle.isLockedOut(address: address, login: username) {
            app.metrics.record(.adminLogin(succeeded: false))
            app.securityEvent("LoginLockedOut", account: username, address: address, tenant: user?.tenant)
            return loginPage(
                app, request: request, error: "Too many failed logins. Wait a few minutes and try again.", username: username,
                status: .tooManyRequests)
        }
        // Verify against a dummy hash for unknown names, so timing does not reveal which names exist.
        let verified = try await AdminSecrets.verifyPassword(password, hash: user?.passwordHash ?? app.dummyHash)
        guard let user, verified else {
            app.throttle.recordFailure(address: address, login: username)
            app.metrics.record(.adminLogin(succeeded: false))
            app.securityEvent(user == nil ? "InvalidAccountID" : "InvalidPassword", account: username, address: address, tenant: user?.tenant)
            return loginPage(app, request: request, error: "Wrong username or password.", username: username, status: .unauthorized)
        }
        app.throttle.recordSuccess(address: address, login: username)
        app.metrics.record(.adminLogin(succeeded: true))
        app.securityEvent("SuccessfulAuth", account: user.loginName, address: address, tenant: user.tenant)
        let session = app.sessions.create(adminUserID: user.id)
        return Reply.redirect(
            home(AdminPrincipal(user: user)),
            cookies: [
                app.cookie(AdminApp.sessionCookie, value: session.id, request: request),
                app.cookie(AdminApp.loginCSRFCookie, value: "", request: request, maxAge: 0),
            ])
    }

    static func loginPage(_ app: AdminApp, request: Request, error: String?, username: String, status: HTTPResponse.Status) -> Response {
        let token = AdminSecrets.randomToken()
        let errorHTML = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let body = """
            <main class="login"><section class="card">
            <h1>Centralino</h1>
            <p class="muted">Sign in to the admin panel. Tenant administrators sign in as <code>name@tenant-domain</code>.</p>
            \(errorHTML)
            <form class="stack" method="post" action="/login" id="login-form">
            \(HTML.csrfField(token))
            \(HTML.input("username", label: "Username", value: username, required: true, extra: "autocomplete=\"username\" autofocus"))
            \(HTML.input("password", label: "Password", type: "password", required: true, extra: "autocomplete=\"current-password\""))
            <button type="submit">Sign in</button>
            </form></section></main>
            """
        var response = Reply.html(PanelLayout.document(title: "Sign in", body: body), status: status)
        response.setCookie(app.cookie(AdminApp.loginCSRFCookie, value: token, request: request, maxAge: 3600))
        return response
    }
}
