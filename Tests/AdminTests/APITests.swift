import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// The REST API: token authentication (401 JSON, never a redirect), tenant scoping, CRUD,
/// validation errors as JSON, AMI settings, and the OpenAPI document.
@Suite struct APITests {
    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?,
        json: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: Any?, headers: HTTPFields) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        return (response.status, text.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(text.utf8)), response.headers)
    }

    @Test func unauthenticatedRequestsGet401JSON() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            for (method, uri) in [
                (HTTPRequest.Method.get, "/api/v1/tenants"), (.post, "/api/v1/tenants"), (.get, "/api/v1\(harness.acmePath)/ami"),
                (.delete, "/api/v1\(harness.acmePath)/extensions/100"), (.get, "/api/v1/nothing/here"),
            ] {
                for token in [nil, "wrong-token"] {
                    let reply = try await Self.call(client, method, uri, token: token)
                    #expect(reply.status == .unauthorized, "\(uri)")
                    #expect(reply.headers[.location] == nil)
                    #expect((reply.body as? [String: Any]).flatMap { $0["error"] as? [String: Any] }?["code"] as? String == "unauthenticated")
                }
            }
            let spec = try await Self.call(client, .get, "/api/v1/openapi.json", token: nil)
            #expect(spec.status == .ok)
            let paths = (spec.body as? [String: Any])?["paths"] as? [String: Any]
            #expect(paths?["/tenants/{tenant}/extensions/{number}"] != nil)
            #expect(paths?["/tenants/{tenant}/ami"] != nil)
            #expect((paths?["/ami/ws"] as? [String: Any])?["get"] != nil)
        }
    }

    @Test func tenantTokenSeesOnlyItsTenant() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let list = try await Self.call(client, .get, "/api/v1/tenants", token: harness.aliceToken)
            #expect((list.body as? [[String: Any]])?.map { $0["name"] as? String } == ["acme"])
            #expect(try await Self.call(client, .get, "/api/v1\(harness.betaPath)", token: harness.aliceToken).status == .forbidden)
            #expect(try await Self.call(client, .get, "/api/v1\(harness.betaPath)/extensions", token: harness.aliceToken).status == .forbidden)
            let write = try await Self.call(
                client, .post, "/api/v1\(harness.betaPath)/extensions", token: harness.aliceToken,
                json: #"{"number":"200","password":"pw"}"#)
            #expect(write.status == .forbidden)
            #expect(
                try await Self.call(client, .patch, "/api/v1\(harness.betaPath)/ami", token: harness.aliceToken, json: #"{"enabled":false}"#).status
                    == .forbidden)
            #expect(try await Self.call(client, .post, "/api/v1/tenants", token: harness.aliceToken, json: #"{"name":"x"}"#).status == .forbidden)
            #expect(try await Self.call(client, .delete, "/api/v1\(harness.acmePath)", token: harness.aliceToken).status == .forbidden)
            #expect(try await harness.store.extensions(of: harness.beta.tenant.uuid).isEmpty)
            #expect(try await harness.store.tenantRecord(harness.beta.tenant.uuid).amiEnabled)
            let all = try await Self.call(client, .get, "/api/v1/tenants", token: harness.systemToken)
            #expect((all.body as? [[String: Any]])?.count == 3)
        }
    }

    @Test func crudAndValidationErrors() async throws {
        let harness = try await AdminTestHarness()
        let api = "/api/v1\(harness.acmePath)"
        try await harness.application().test(.router) { client in
            let token = harness.aliceToken
            let bad = try await Self.call(client, .post, "\(api)/extensions", token: token, json: #"{"number":"abc","password":"pw"}"#)
            #expect(bad.status == .unprocessableContent)
            let detail = (bad.body as? [String: Any])?["error"] as? [String: Any]
            #expect(detail?["field"] as? String == "number")
            #expect((detail?["message"] as? String)?.contains("must be 1-20 digits") == true)
            #expect(try await Self.call(client, .post, "\(api)/extensions", token: token, json: "not json").status == .badRequest)
            #expect(
                try await Self.call(client, .post, "\(api)/extensions", token: token, json: #"{"number":"100","name":"A","password":"pw"}"#).status
                    == .created)
            #expect(
                try await Self.call(client, .post, "\(api)/extensions", token: token, json: #"{"number":"100","password":"pw"}"#).status == .conflict)
            #expect(try await Self.call(client, .put, "\(api)/extensions/100", token: token, json: #"{"name":"B"}"#).status == .ok)
            #expect((try await Self.call(client, .get, "\(api)/extensions/100", token: token).body as? [String: Any])?["name"] as? String == "B")
            #expect(try await Self.call(client, .get, "\(api)/extensions/999", token: token).status == .notFound)
            #expect(try await Self.call(client, .delete, "\(api)/extensions/100", token: token).status == .noContent)

            #expect(
                try await Self.call(client, .post, "\(api)/trunks", token: token, json: #"{"name":"t1","host":"h.example","transport":"sctp"}"#)
                    .status == .unprocessableContent)
            #expect(
                try await Self.call(client, .post, "\(api)/trunks", token: token, json: #"{"name":"t1","host":"h.example","password":"p"}"#).status
                    == .created)
            let trunk = try await Self.call(client, .get, "\(api)/trunks/t1", token: token)
            #expect((trunk.body as? [String: Any])?["has_password"] as? Bool == true)
            #expect(
                try await Self.call(client, .put, "\(api)/trunks/t1", token: token, json: #"{"name":"t1","host":"h2.example","port":5070}"#).status
                    == .ok)
            #expect(
                try await Self.call(client, .post, "\(api)/routes", token: token, json: #"{"prefix":"0","trunk":"none"}"#).status
                    == .unprocessableContent)
            #expect(
                try await Self.call(client, .post, "\(api)/routes", token: token, json: #"{"prefix":"0","trunk":"t1","strip":1}"#).status == .created)
            #expect(try await Self.call(client, .put, "\(api)/routes/0", token: token, json: #"{"prefix":"00","trunk":"t1"}"#).status == .ok)
            #expect((try await Self.call(client, .get, "\(api)/routes", token: token).body as? [[String: Any]])?.first?["prefix"] as? String == "00")
            #expect(try await Self.call(client, .delete, "\(api)/routes/00", token: token).status == .noContent)
            #expect(try await Self.call(client, .delete, "\(api)/trunks/t1", token: token).status == .noContent)
            let status = try await Self.call(client, .get, "\(api)/status", token: token)
            #expect((status.body as? [String: Any])?["activeCalls"] as? Int == 0)

            let created = try await Self.call(
                client, .post, "/api/v1/tenants", token: harness.systemToken, json: #"{"name":"delta","domain":"delta.test"}"#)
            #expect(created.status == .created)
            let uuid = try #require((created.body as? [String: Any])?["uuid"] as? String)
            #expect(
                try await Self.call(
                    client, .put, "/api/v1/tenants/\(uuid)", token: harness.systemToken, json: #"{"name":"delta","domain":"acme.test"}"#
                ).status == .conflict)
            #expect(try await Self.call(client, .delete, "/api/v1/tenants/\(uuid)", token: harness.systemToken).status == .noContent)
        }
    }

    @Test func amiSettingsOverTheAPI() async throws {
        let harness = try await AdminTestHarness()
        let api = "/api/v1\(harness.acmePath)/ami"
        try await harness.application().test(.router) { client in
            let token = harness.aliceToken
            #expect(try await Self.call(client, .post, "\(api)/password", token: token).status == .unprocessableContent)
            let set = try await Self.call(client, .patch, api, token: token, json: #"{"username":"crm","password":"pw-1","permit":["127.0.0.1"]}"#)
            #expect(set.status == .ok)
            let users = (set.body as? [String: Any])?["users"] as? [[String: Any]]
            #expect(users?.first?["permit"] as? [String] == ["127.0.0.1"])
            #expect(users?.first?["write"] as? String == "call,originate")
            #expect(try await harness.store.amiAccounts().first { $0.username == "crm" }?.secret == "pw-1")
            let badACL = try await Self.call(client, .patch, api, token: token, json: #"{"permit":["300.1.1.1"]}"#)
            #expect(badACL.status == .unprocessableContent)
            #expect(((badACL.body as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "permit")
            let generated = try await Self.call(client, .post, "\(api)/password", token: token)
            let password = try #require((generated.body as? [String: Any])?["password"] as? String)
            #expect(try await harness.store.amiAccounts().first { $0.username == "crm" }?.secret == password)
            #expect(try await Self.call(client, .patch, api, token: token, json: #"{"enabled":false}"#).status == .ok)
            #expect(await harness.live.closed.last?.username == nil)
            #expect(try await harness.store.tenantRecord(harness.acme.tenant.uuid).amiEnabled == false)
        }
    }
}
