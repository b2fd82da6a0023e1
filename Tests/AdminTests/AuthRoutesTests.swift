import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// Login, logout, cookies, CSRF on the login form, throttling, health and metrics.
@Suite struct AuthRoutesTests {
    @Test func rootShowsLoginFormAndPagesRedirectThere() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            let root = try await session.get("/")
            #expect(root.status == .ok)
            #expect(root.body.contains("id=\"login-form\""))
            #expect(root.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            for path in ["/tenants", harness.acmePath, "\(harness.acmePath)/ami", "\(harness.acmePath)/extensions", "/tokens"] {
                let page = try await session.get(path)
                #expect(page.status == .seeOther, "\(path)")
                #expect(page.location == "/")
            }
        }
    }

    @Test func loginSetsStrictHttpOnlyCookieAndLogoutEndsSession() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            let login = try await session.login("admin", AdminTestHarness.systemPassword)
            #expect(login.status == .seeOther)
            #expect(login.location == "/tenants")
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("centralino_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Secure"))
            #expect(try await session.get("/tenants").status == .ok)
            #expect(try await session.post("/logout", []).status == .seeOther)
            #expect(try await session.get("/tenants").status == .seeOther)
        }
    }

    @Test func cookieIsNotSecureWhenConfiguredForPlainHTTP() async throws {
        var harness = try await AdminTestHarness()
        harness.configuration.secureCookies = .never
        try await harness.application().test(.router) { client in
            let login = try await PanelSession(client).login("admin", AdminTestHarness.systemPassword)
            let cookie = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("centralino_session=") })
            #expect(!cookie.contains("Secure"))
        }
    }

    @Test func wrongPasswordAndMissingLoginCSRFAreRefused() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            let wrong = try await session.login("admin", "nope")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.contains("Wrong username or password"))
            let noToken = try await PanelSession(client).post(
                "/login", [("username", "admin"), ("password", AdminTestHarness.systemPassword)], csrf: false)
            #expect(noToken.status == .forbidden)
            #expect(harness.metrics.value("centralino_admin_logins_total", labels: "result=\"failed\"") == 1)
        }
    }

    @Test func tenantAdminLogsInAsNameAtDomainAndLandsOnOwnDashboard() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let login = try await PanelSession(client).login("alice@acme.test", AdminTestHarness.alicePassword)
            #expect(login.status == .seeOther)
            #expect(login.location == harness.acmePath)
            #expect(try await PanelSession(client).login("alice@beta.test", AdminTestHarness.alicePassword).status == .unauthorized)
        }
    }

    @Test func repeatedFailuresLockLoginsOut() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            for _ in 0..<5 { _ = try await PanelSession(client).login("admin", "wrong-guess") }
            let locked = try await PanelSession(client).login("admin", AdminTestHarness.systemPassword)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.body.contains("Too many failed logins"))
        }
    }

    @Test func healthzAndMetricsNeedNoLogin() async throws {
        let harness = try await AdminTestHarness()
        harness.metrics.record(.originate(result: "success"))
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            let health = try await session.get("/healthz")
            #expect(health.status == .ok)
            #expect(health.body.contains("\"ok\""))
            _ = try await session.login("admin", AdminTestHarness.systemPassword)
            let metrics = try await session.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.body.contains("centralino_admin_logins_total{result=\"ok\"} 1"))
            #expect(metrics.body.contains("centralino_originates_total{result=\"success\"} 1"))
            #expect(metrics.body.contains("# TYPE centralino_ami_sessions gauge"))
            #expect(try await session.get("/static/app.js").status == .ok)
        }
    }

    @Test func bootstrapGeneratesThePasswordOnceAndTheFlagResetsIt() async throws {
        let harness = try await AdminTestHarness()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("admin-boot-\(UUID().uuidString)")
        let store = try CentralinoStore(dataDirectory: directory)
        let first = try #require(try await AdminBootstrap.ensureSystemAdmin(store: store, password: nil, bcryptCost: 4))
        #expect(first.generated && first.password.count == 20 && first.username == "admin")
        #expect(first.bannerLine(panelURL: "http://x/").contains(first.password))
        #expect(try await AdminBootstrap.ensureSystemAdmin(store: store, password: nil, bcryptCost: 4) == nil)
        let reset = try #require(try await AdminBootstrap.ensureSystemAdmin(store: store, password: "another-pass", bcryptCost: 4))
        #expect(!reset.generated && !reset.bannerLine(panelURL: "http://x/").contains("another-pass"))
        await #expect(throws: AdminStoreError.self) { try await AdminBootstrap.ensureSystemAdmin(store: store, password: "short", bcryptCost: 4) }
        _ = harness
    }
}
