import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/api/v1/calls` in process: token scope (a tenant token's own tenant, a system token naming one),
/// the click-to-call body's validation (nothing is placed when it fails), each refusal's status and
/// code, and the dashboard's Hang up form (CSRF, tenant).
@Suite struct APICallRoutesTests {
    static func call(id: String, from: String = "100", to: String = "0391234567") -> LiveCall {
        LiveCall(
            id: id, from: from, to: to, state: "up", started: Date(timeIntervalSince1970: 1_700_000_000), duration: 12,
            channels: [.init(name: "Local/\(from)@c2c-00000001;1", state: "Up"), .init(name: "PJSIP/\(from)-00000001", state: "Up")])
    }

    static func code(_ reply: (status: HTTPResponse.Status, body: Any?, headers: HTTPFields)) -> String? {
        ((reply.body as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func tokensSeeAndHangUpOnlyTheirTenantsCalls() async throws {
        let harness = try await AdminTestHarness()
        let acme = harness.acme.tenant.uuid
        let beta = harness.beta.tenant.uuid
        await harness.live.setLiveCalls([Self.call(id: "1700000000.1")], tenant: acme)
        await harness.live.setLiveCalls([Self.call(id: "1700000000.7", from: "200")], tenant: beta)
        let betaQuery = "?tenant=\(beta.uuidString.lowercased())"
        try await harness.application().test(.router) { client in
            let mine = try await APITests.call(client, .get, "/api/v1/calls", token: harness.aliceToken)
            #expect(mine.status == .ok)
            let listed = try #require(mine.body as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == ["1700000000.1"])
            #expect(listed.first?["duration"] as? Int == 12)
            #expect((listed.first?["channels"] as? [[String: Any]])?.count == 2)
            #expect(try await APITests.call(client, .get, "/api/v1/calls\(betaQuery)", token: harness.aliceToken).status == .forbidden)
            for method in [HTTPRequest.Method.get, .delete] {
                let other = try await APITests.call(client, method, "/api/v1/calls/1700000000.7", token: harness.aliceToken)
                #expect(other.status == .notFound && Self.code(other) == "not_found", "\(method)")
            }
            #expect(await harness.live.liveCallList[beta]?.count == 1)
            let unnamed = try await APITests.call(client, .get, "/api/v1/calls", token: harness.systemToken)
            #expect(unnamed.status == .badRequest)
            let named = try await APITests.call(client, .get, "/api/v1/calls\(betaQuery)", token: harness.systemToken)
            #expect((named.body as? [[String: Any]])?.map { $0["id"] as? String } == ["1700000000.7"])
            #expect(
                try await APITests.call(client, .get, "/api/v1/calls?tenant=\(UUID().uuidString)", token: harness.systemToken).status == .notFound)
            #expect(try await APITests.call(client, .delete, "/api/v1/calls/1700000000.1", token: harness.aliceToken).status == .noContent)
            #expect(await harness.live.liveCallList[acme]?.isEmpty == true)
            #expect(try await APITests.call(client, .delete, "/api/v1/calls/1700000000.1", token: harness.aliceToken).status == .notFound)
            #expect(try await APITests.call(client, .get, "/api/v1/calls", token: nil).status == .unauthorized)
        }
    }

    @Test func clickToCallValidatesBeforePlacingAnything() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let bodies = [
                #"{"from":"100","to":"0391234567","timeout_ms":-5}"#, #"{"from":"100","to":"0391234567","timeout_ms":999}"#,
                #"{"from":"100","to":"0391234567","timeout_ms":300001}"#, #"{"from":"100","to":"0391234567","timeout_ms":1e300}"#,
                #"{"from":"100","to":"0391234567","timeout_ms":1000.5}"#, #"{"from":"100","to":"0391234567","timeout_ms":NaN}"#,
                #"{"from":"1a","to":"0391234567"}"#, #"{"from":"","to":"0391234567"}"#, #"{"from":"100","to":"12\r\n3"}"#,
                #"{"from":"100","to":"++1"}"#, #"{"from":"100","to":""}"#, "{\"from\":\"100\",\"to\":\"\(String(repeating: "1", count: 33))\"}",
                #"{"from":100,"to":"0391234567"}"#, #"{"to":"0391234567"}"#, "[]", "{",
            ]
            for body in bodies {
                let reply = try await APITests.call(client, .post, "/api/v1/calls", token: harness.aliceToken, json: body)
                #expect(reply.status == .badRequest, "\(body)")
            }
            let named = try await APITests.call(client, .post, "/api/v1/calls", token: harness.systemToken, json: #"{"from":"100","to":"101"}"#)
            #expect(named.status == .badRequest)
            let other = #"{"from":"100","to":"101","tenant":"\#(harness.beta.tenant.uuid.uuidString)"}"#
            #expect(try await APITests.call(client, .post, "/api/v1/calls", token: harness.aliceToken, json: other).status == .forbidden)
            #expect(await harness.live.placed.isEmpty)

            let placed = try await APITests.call(
                client, .post, "/api/v1/calls", token: harness.aliceToken, json: #"{"from":"100","to":"+39*1#","timeout_ms":10000}"#)
            #expect(placed.status == .created)
            #expect(placed.headers[.location] == "/api/v1/calls/1700000000.1")
            let body = try #require(placed.body as? [String: Any])
            #expect(body["id"] as? String == "1700000000.1" && body["timeout_ms"] as? Int == 10000)
            #expect(body["tenant"] as? String == harness.acme.tenant.uuid.uuidString.lowercased())
            let system = #"{"from":"100","to":"0391234567","tenant":"\#(harness.beta.tenant.uuid.uuidString)"}"#
            #expect(try await APITests.call(client, .post, "/api/v1/calls", token: harness.systemToken, json: system).status == .created)
            let asked = await harness.live.placed
            #expect(asked.map(\.from) == ["100", "100"] && asked.map(\.to) == ["+39*1#", "0391234567"])
            #expect(asked.map(\.timeout) == [10000, 30000])
            #expect(asked.map(\.tenant) == [harness.acme.tenant.uuid, harness.beta.tenant.uuid])
        }
    }

    @Test func refusalsMapToStatusAndCode() async throws {
        let harness = try await AdminTestHarness()
        let cases: [(ClickToCallResult, HTTPResponse.Status, String)] = [
            (.unknownExtension, .notFound, "unknown_extension"), (.unavailable, .conflict, "unavailable"),
            (.busy(deviceState: "RINGING"), .conflict, "busy"), (.noRoute, .notFound, "unknown_destination"),
            (.tenantLimit("this tenant's limit of 2 concurrent channels is reached"), .tooManyRequests, "tenant_limit"),
            (.failed("no engine"), .serviceUnavailable, "originate_failed"),
        ]
        try await harness.application().test(.router) { client in
            for (result, status, code) in cases {
                await harness.live.setClickToCallResult(result)
                let reply = try await APITests.call(client, .post, "/api/v1/calls", token: harness.aliceToken, json: #"{"from":"100","to":"101"}"#)
                #expect(reply.status == status && Self.code(reply) == code, "\(result)")
            }
        }
    }

    /// An AMI `ChannelId` may make any text a call id: it travels percent-encoded in paths.
    @Test func callIDsWithAnyCharacterArePercentEncoded() async throws {
        let harness = try await AdminTestHarness()
        let acme = harness.acme.tenant.uuid
        await harness.live.setLiveCalls([Self.call(id: "my call/1?x"), Self.call(id: "other")], tenant: acme)
        try await harness.application().test(.router) { client in
            let alice = PanelSession(client)
            try await alice.login("alice@acme.test", AdminTestHarness.alicePassword)
            let page = try await alice.get(harness.acmePath)
            #expect(page.body.contains("action=\"\(harness.acmePath)/calls/my%20call%2F1%3Fx/hangup\""))
            let one = try await APITests.call(client, .get, "/api/v1/calls/my%20call%2F1%3Fx", token: harness.aliceToken)
            #expect((one.body as? [String: Any])?["id"] as? String == "my call/1?x")
            #expect(try await APITests.call(client, .delete, "/api/v1/calls/my%20call%2F1%3Fx", token: harness.aliceToken).status == .noContent)
            #expect(await harness.live.liveCallList[acme]?.map(\.id) == ["other"])
            #expect(try await alice.post("\(harness.acmePath)/calls/other/hangup", []).status == .seeOther)
            #expect(await harness.live.liveCallList[acme]?.isEmpty == true)
            await harness.live.setClickToCallResult(.started(id: "a b"))
            let placed = try await APITests.call(
                client, .post, "/api/v1/calls", token: harness.aliceToken, json: #"{"from":"100","to":"101"}"#)
            #expect(placed.headers[.location] == "/api/v1/calls/a%20b")
        }
    }

    @Test func dashboardHangUpNeedsTheFormTokenAndTheTenant() async throws {
        let harness = try await AdminTestHarness()
        let acme = harness.acme.tenant.uuid
        await harness.live.setLiveCalls([Self.call(id: "1700000000.1")], tenant: acme)
        try await harness.application().test(.router) { client in
            let alice = PanelSession(client)
            try await alice.login("alice@acme.test", AdminTestHarness.alicePassword)
            let page = try await alice.get(harness.acmePath)
            #expect(page.body.contains("id=\"live-calls\"") && page.body.contains("1700000000.1"))
            #expect(page.body.contains("action=\"\(harness.acmePath)/calls/1700000000.1/hangup\""))
            let forged = try await alice.post("\(harness.acmePath)/calls/1700000000.1/hangup", [], csrf: false)
            #expect(forged.status == .forbidden)
            #expect(try await alice.post("\(harness.betaPath)/calls/1700000000.1/hangup", []).status == .forbidden)
            #expect(await harness.live.liveCallList[acme]?.count == 1)
            let done = try await alice.post("\(harness.acmePath)/calls/1700000000.1/hangup", [])
            #expect(done.status == .seeOther && done.location == harness.acmePath)
            #expect(await harness.live.liveCallList[acme]?.isEmpty == true)
            let live = try await alice.get("\(harness.acmePath)/live.json")
            #expect(live.body.contains("\"calls\":[]"))
        }
    }
}
