import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// The dashboard widget and live data, and that a tenant administrator cannot reach another tenant.
@Suite struct DashboardAndAuthorizationTests {
    @Test func dashboardShowsTenantWidgetAndLiveData() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        await harness.live.setSessions([LiveAMISession(username: "crm", address: "10.0.0.5:40000", since: Date())], tenant: uuid)
        await harness.live.setRegistrations(
            [
                LiveRegistration(
                    number: "100", contact: "sip:100@10.0.0.9:5062", source: "10.0.0.9:5062",
                    transport: "udp", userAgent: "SIPp", expiresAt: Date() + 60, reachable: true)
            ], tenant: uuid)
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let page = try await session.get(harness.acmePath)
            #expect(page.status == .ok)
            #expect(page.body.contains("id=\"tenant-uuid\">\(uuid.uuidString.lowercased())<"))
            #expect(page.body.contains("data-copy-target=\"tenant-uuid\""))
            #expect(page.body.contains("acme.test"))
            #expect(page.body.contains("10.0.0.5:40000"))
            #expect(page.body.contains("sip:100@10.0.0.9:5062"))
            let live = try await session.get("\(harness.acmePath)/live.json")
            #expect(live.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(live.body.utf8)) as? [String: Any]
            #expect((json?["amiSessions"] as? [[String: Any]])?.first?["username"] as? String == "crm")
            #expect((json?["registrations"] as? [[String: Any]])?.count == 1)
            // the panel's own login shows as a security event of the tenant
            #expect((json?["securityEvents"] as? [[String: Any]])?.contains { $0["kind"] as? String == "SuccessfulAuth" } == true)
        }
    }

    @Test func tenantAdminCannotReadOrChangeAnotherTenant() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            for suffix in ["", "/ami", "/extensions", "/trunks", "/routes", "/admins", "/live.json", "/edit"] {
                let page = try await session.get(harness.betaPath + suffix)
                #expect(page.status == .forbidden || page.status == .notFound, "\(suffix): \(page.status)")
                #expect(!page.body.contains(harness.beta.tenant.uuid.uuidString.lowercased()) || suffix == "/live.json")
            }
            let create = try await session.post("\(harness.betaPath)/extensions", [("number", "200"), ("password", "pw200")])
            #expect(create.status == .forbidden)
            #expect(try await harness.store.extensions(of: harness.beta.tenant.uuid).isEmpty)
            let ami = try await session.post("\(harness.betaPath)/ami/username", [("username", "stolen")])
            #expect(ami.status == .forbidden)
            #expect(try await harness.store.amiUsers(of: harness.beta.tenant.uuid).isEmpty)
            // tenant pages are for the system administrator only
            #expect(try await session.get("/tenants").location == harness.acmePath)
            #expect(try await session.post("/tenants", [("name", "evil")]).status == .forbidden)
            #expect(
                try await session.post("\(harness.acmePath)/edit", [("name", "acme2"), ("domain", "acme.test"), ("tone_country", "it")]).status
                    == .forbidden)
            #expect(try await session.post("\(harness.betaPath)/delete", []).status == .forbidden)
            #expect(try await harness.store.tenantRecords().count == 3)
        }
    }

    @Test func formsWithoutTheSessionCSRFTokenAreRefused() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("admin", AdminTestHarness.systemPassword)
            let missing = try await session.post("\(harness.acmePath)/extensions", [("number", "101"), ("password", "pw")], csrf: false)
            #expect(missing.status == .forbidden)
            #expect(missing.body.contains("CSRF"))
            let wrong = try await session.post(
                "\(harness.acmePath)/extensions", [("number", "101"), ("password", "pw"), ("_csrf", "forged")], csrf: false)
            #expect(wrong.status == .forbidden)
            #expect(try await session.post("/tenants", [("name", "x")], csrf: false).status == .forbidden)
            #expect(try await session.post("/logout", [], csrf: false).status == .forbidden)
            #expect(try await harness.store.extensions(of: harness.acme.tenant.uuid).isEmpty)
        }
    }
}
