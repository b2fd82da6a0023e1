import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import PBX
import Store
import Testing

/// Per-tenant capacity limits in the panel (tenant page), the REST API and `/metrics`; the JSON
/// body limits (413 over 64 KiB, 400 for malformed or deeply nested JSON).
@Suite struct TenantLimitsTests {
    static func limits(_ body: Any?) -> [String: Any]? {
        (body as? [String: Any])?["limits"] as? [String: Any]
    }

    static func errorBody(_ body: Any?) -> [String: Any]? {
        (body as? [String: Any])?["error"] as? [String: Any]
    }

    @Test func limitsOverTheAPI() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let token = harness.systemToken
            let created = try await APITests.call(
                client, .post, "/api/v1/tenants", token: token,
                json: #"{"name":"gamma","limits":{"channels":12,"originates_per_second":0}}"#)
            #expect(created.status == .created)
            let limits = try #require(Self.limits(created.body))
            #expect(limits["channels"] as? Int == 12)
            #expect(limits["originates_per_second"] as? Int == 0)
            #expect(limits.keys.contains("rtp_port_pairs"), "every key is present, null = the node's default")
            #expect(limits["rtp_port_pairs"] is NSNull)
            let gamma = try #require(try await harness.store.tenantRecords().first { $0.tenant.name == "gamma" })
            #expect(gamma.tenant.limits == TenantLimits(channels: 12, originatesPerSecond: 0))
            let path = "/api/v1/tenants/\(gamma.tenant.uuid.uuidString.lowercased())"

            // PUT without `limits` keeps them; with `limits` replaces all four.
            #expect(try await APITests.call(client, .put, path, token: token, json: #"{"name":"gamma","tone_country":"de"}"#).status == .ok)
            #expect(try await harness.store.tenantRecord(gamma.tenant.uuid).tenant.limits == TenantLimits(channels: 12, originatesPerSecond: 0))
            let changed = try await APITests.call(
                client, .put, path, token: token,
                json: #"{"name":"gamma","limits":{"rtp_port_pairs":5,"ami_sessions":2,"originates_per_second":3}}"#)
            #expect(changed.status == .ok)
            #expect(
                try await harness.store.tenantRecord(gamma.tenant.uuid).tenant.limits
                    == TenantLimits(rtpPortPairs: 5, amiSessions: 2, originatesPerSecond: 3))
            #expect(Self.limits(try await APITests.call(client, .get, path, token: token).body)?["ami_sessions"] as? Int == 2)

            // Out of range: 422 naming the field; not a number: 400; nothing changes.
            let zero = try await APITests.call(client, .put, path, token: token, json: #"{"name":"gamma","limits":{"channels":0}}"#)
            #expect(zero.status == .unprocessableContent)
            #expect(Self.errorBody(zero.body)?["field"] as? String == "limits.channels")
            let huge = try await APITests.call(client, .put, path, token: token, json: #"{"name":"gamma","limits":{"channels":10000000}}"#)
            #expect(huge.status == .unprocessableContent)
            for bad in [
                #"{"name":"gamma","limits":{"channels":"5"}}"#, #"{"name":"gamma","limits":{"channels":1e300}}"#,
                #"{"name":"gamma","limits":{"channels":-1.5}}"#, #"{"name":"gamma","limits":[1,2]}"#,
            ] {
                let reply = try await APITests.call(client, .put, path, token: token, json: bad)
                #expect(reply.status == .badRequest, "\(bad)")
                #expect(Self.errorBody(reply.body)?["code"] as? String == "bad_request", "\(bad)")
            }
            #expect(
                try await harness.store.tenantRecord(gamma.tenant.uuid).tenant.limits
                    == TenantLimits(rtpPortPairs: 5, amiSessions: 2, originatesPerSecond: 3))

            // A tenant administrator may read its limits but not change them (tenants are the system administrator's).
            #expect(
                try await APITests.call(
                    client, .put, "/api/v1\(harness.acmePath)", token: harness.aliceToken,
                    json: #"{"name":"acme","limits":{"channels":4000}}"#
                ).status == .forbidden)
            #expect(Self.limits(try await APITests.call(client, .get, "/api/v1\(harness.acmePath)", token: harness.aliceToken).body) != nil)

            let spec = try await APITests.call(client, .get, "/api/v1/openapi.json", token: nil)
            let schemas = ((spec.body as? [String: Any])?["components"] as? [String: Any])?["schemas"] as? [String: Any]
            let limitProperties = (schemas?["Limits"] as? [String: Any])?["properties"] as? [String: Any]
            #expect(Set(limitProperties?.keys.map { $0 } ?? []) == ["channels", "rtp_port_pairs", "ami_sessions", "originates_per_second"])
            #expect(((spec.body as? [String: Any])?["paths"] as? [String: Any])?["/tenants/{tenant}/capacity"] != nil)
        }
    }

    @Test func capacityEndpointAndMetricsShowPerTenantGauges() async throws {
        let harness = try await AdminTestHarness()
        await harness.live.setCapacity(
            LiveTenantCapacity(
                channels: 6, channelsLimit: 6, rtpPortPairs: 2, rtpPortPairsLimit: 50,
                amiSessions: 1, amiSessionsLimit: 3, originatesPerSecondLimit: 0,
                refusals: ["channels": 4]), tenant: harness.acme.tenant.uuid)
        try await harness.application().test(.router) { client in
            let capacity = try await APITests.call(client, .get, "/api/v1\(harness.acmePath)/capacity", token: harness.aliceToken)
            #expect(capacity.status == .ok)
            #expect((capacity.body as? [String: Any])?["channelsLimit"] as? Int == 6)
            #expect(try await APITests.call(client, .get, "/api/v1\(harness.betaPath)/capacity", token: harness.aliceToken).status == .forbidden)
            // The fake reports acme only: without a call engine there is nothing to show.
            #expect(
                try await APITests.call(client, .get, "/api/v1\(harness.betaPath)/capacity", token: harness.systemToken).status == .serviceUnavailable
            )

            await harness.live.setCapacity(
                LiveTenantCapacity(
                    channels: 0, channelsLimit: 2000, rtpPortPairs: 0, rtpPortPairsLimit: 2500,
                    amiSessions: 0, amiSessionsLimit: 100, originatesPerSecondLimit: 0),
                tenant: harness.beta.tenant.uuid)
            for tenant in try await harness.store.tenantRecords().map(\.tenant) where tenant.name == "default" {
                await harness.live.setCapacity(
                    LiveTenantCapacity(
                        channels: 0, channelsLimit: 2000, rtpPortPairs: 0, rtpPortPairsLimit: 2500,
                        amiSessions: 0, amiSessionsLimit: 100, originatesPerSecondLimit: 0),
                    tenant: tenant.uuid)
            }
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("# TYPE centralino_tenant_channels gauge"))
            #expect(metrics.contains("centralino_tenant_channels{tenant=\"acme\"} 6"))
            #expect(metrics.contains("centralino_tenant_channels_limit{tenant=\"acme\"} 6"))
            #expect(metrics.contains("centralino_tenant_rtp_port_pairs_limit{tenant=\"acme\"} 50"))
            #expect(metrics.contains("centralino_tenant_ami_sessions_limit{tenant=\"acme\"} 3"))
            #expect(metrics.contains("centralino_tenant_channels_limit{tenant=\"beta\"} 2000"))
            #expect(metrics.contains("centralino_tenant_capacity_refusals_total{tenant=\"acme\",limit=\"channels\"} 4"))
            #expect(metrics.contains("centralino_admin_logins_total"), "the existing counters stay")
        }
    }

    @Test func limitsOnTheTenantPage() async throws {
        let harness = try await AdminTestHarness()
        await harness.live.setCapacity(
            LiveTenantCapacity(
                channels: 3, channelsLimit: 2000, rtpPortPairs: 1, rtpPortPairsLimit: 2500,
                amiSessions: 0, amiSessionsLimit: 100, originatesPerSecondLimit: 0),
            tenant: harness.acme.tenant.uuid)
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("admin", AdminTestHarness.systemPassword)
            let path = "\(harness.acmePath)/edit"
            let page = try await session.get(path)
            #expect(page.status == .ok)
            #expect(page.body.contains("name=\"limits.channels\""))
            #expect(page.body.contains("3 of 2000 in use"))
            let saved = try await session.post(
                path,
                [
                    ("name", "acme"), ("domain", "acme.test"), ("tone_country", "it"),
                    ("limits.channels", "40"), ("limits.rtp_port_pairs", ""),
                    ("limits.ami_sessions", "4"), ("limits.originates_per_second", "10"),
                ])
            #expect(saved.status == .seeOther)
            #expect(
                try await harness.store.tenantRecord(harness.acme.tenant.uuid).tenant.limits
                    == TenantLimits(channels: 40, amiSessions: 4, originatesPerSecond: 10))
            #expect(try await session.get(path).body.contains("value=\"40\""))
            for bad in ["0", "abc", "99999999999999999999999", "1e3", "-4", "4 5"] {
                let refused = try await session.post(
                    path,
                    [
                        ("name", "acme"), ("domain", "acme.test"), ("tone_country", "it"),
                        ("limits.channels", bad),
                    ])
                #expect(refused.status == .unprocessableContent, "\(bad)")
                #expect(refused.body.contains("must be a whole number from 1"), "\(bad)")
            }
            // Emptying the fields returns to the node's defaults.
            #expect(try await session.post(path, [("name", "acme"), ("domain", "acme.test"), ("tone_country", "it")]).status == .seeOther)
            #expect(try await harness.store.tenantRecord(harness.acme.tenant.uuid).tenant.limits == TenantLimits())
        }
    }

    @Test func oversizedAndMalformedJSONBodies() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let token = harness.systemToken
            let padding = String(repeating: "x", count: 70 * 1024)
            let big = try await APITests.call(client, .post, "/api/v1/tenants", token: token, json: "{\"name\":\"\(padding)\"}")
            #expect(big.status == .contentTooLarge)
            #expect(Self.errorBody(big.body)?["code"] as? String == "too_large")
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            #expect(deep.utf8.count > 64 * 1024)
            #expect(try await APITests.call(client, .post, "/api/v1/tenants", token: token, json: deep).status == .contentTooLarge)
            // Deeply nested within the size limit, malformed, truncated, wrong shape: 400 with the JSON error.
            let nested = "{\"name\":" + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "}"
            for body in [nested, "{\"name\": \"x\"", "not json", "[]", "{\"name\": 5}", "\u{FEFF}{", String(repeating: "{\"a\":", count: 10_000)] {
                let reply = try await APITests.call(client, .post, "/api/v1/tenants", token: token, json: body)
                #expect(reply.status == .badRequest, "\(body.prefix(40))")
                #expect(Self.errorBody(reply.body)?["code"] as? String == "bad_request", "\(body.prefix(40))")
            }
            for (method, uri) in [(HTTPRequest.Method.patch, "/api/v1\(harness.acmePath)/ami"), (.post, "/api/v1\(harness.acmePath)/extensions")] {
                #expect(try await APITests.call(client, method, uri, token: token, json: nested).status == .badRequest, "\(uri)")
                #expect(
                    try await APITests.call(client, method, uri, token: token, json: "{\"x\":\"\(padding)\"}").status == .contentTooLarge, "\(uri)")
            }
            // The panel's forms have the same size limit (plain text 413, never 500).
            let session = PanelSession(client)
            try await session.login("admin", AdminTestHarness.systemPassword)
            let form = try await session.post("/tenants", [("name", padding)])
            #expect(form.status == .contentTooLarge)
            // Still serving.
            #expect(try await APITests.call(client, .get, "/api/v1/tenants", token: token).status == .ok)
        }
    }

    @Test func bodyLimitFollowsTheConfiguration() async throws {
        var harness = try await AdminTestHarness()
        harness.configuration.maximumBodySize = 2048
        let token = harness.systemToken
        try await harness.application().test(.router) { client in
            let over = try await APITests.call(
                client, .post, "/api/v1/tenants", token: token,
                json: "{\"name\":\"\(String(repeating: "x", count: 3000))\"}")
            #expect(over.status == .contentTooLarge)
            #expect((Self.errorBody(over.body)?["message"] as? String)?.contains("2 KiB") == true)
            let under = try await APITests.call(
                client, .post, "/api/v1/tenants", token: token,
                json: "{\"name\":\"\(String(repeating: "x", count: 1500))\"}")
            #expect(under.status == .unprocessableContent, "read and validated (the name is too long), not refused for size")
        }
    }
}
