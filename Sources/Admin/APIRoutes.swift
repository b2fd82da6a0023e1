import Foundation
import Hummingbird
import PBX
import Store

/// The REST/JSON API under `/api/v1`: everything the pages do, token-authenticated, validated by
/// the same store functions (and so the same rules as `centralino apply`).
enum APIRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/api/v1/openapi.json") { _, _ in Reply.text(OpenAPIDocument.json, contentType: "application/json; charset=utf-8") }
        let api = router.group("/api/v1").add(middleware: APIMiddleware(app: app))

        api.get("/tenants") { _, context -> Response in
            let principal = try principal(context)
            let records = try await app.store.tenantRecords().filter { principal.mayAccess($0.tenant.uuid) }
            return Reply.json(records.map(APIModel.TenantBody.init))
        }
        api.post("/tenants") { request, context -> Response in
            try requireSystem(context)
            let input = try await request.decode(as: APIModel.TenantInput.self, context: context)
            let record = try await app.store.createTenant(
                name: input.name, domain: input.domain, toneCountry: input.tone_country,
                limits: input.limits?.limits ?? TenantLimits())
            return Reply.json(APIModel.TenantBody(record), status: .created)
        }
        api.get("/tenants/:tenant") { _, context -> Response in
            Reply.json(APIModel.TenantBody(try await tenant(app, context)))
        }
        api.put("/tenants/:tenant") { request, context -> Response in
            try requireSystem(context)
            let current = try await tenant(app, context)
            let input = try await request.decode(as: APIModel.TenantInput.self, context: context)
            let record = try await app.store.updateTenant(
                current.tenant.uuid, name: input.name, domain: input.domain ?? current.tenant.domain,
                toneCountry: input.tone_country ?? current.tenant.toneCountry, limits: input.limits?.limits)
            return Reply.json(APIModel.TenantBody(record))
        }
        api.delete("/tenants/:tenant") { _, context -> Response in
            try requireSystem(context)
            let current = try await tenant(app, context)
            try await app.store.deleteTenant(current.tenant.uuid)
            await app.live.closeAMISessions(tenant: current.tenant.uuid, username: nil)
            return Response(status: .noContent)
        }
        api.get("/tenants/:tenant/status") { _, context -> Response in
            Reply.json(await DashboardRoutes.liveBody(app, tenant: try await tenant(app, context).tenant.uuid))
        }
        api.get("/tenants/:tenant/capacity") { _, context -> Response in
            let uuid = try await tenant(app, context).tenant.uuid
            guard let capacity = await app.live.homeCapacity(tenant: uuid) else {
                return Reply.jsonError(.serviceUnavailable, code: "unavailable", message: "this node runs no call engine")
            }
            return Reply.json(capacity)
        }
        APIDirectoryRoutes.register(on: api, app: app)
        APIAMIRoutes.register(on: api, app: app)
        CDRAPIRoutes.register(on: api, app: app)
        APICallRoutes.register(on: api, app: app)
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            api.on("**", method: method) { _, _ -> Response in
                Reply.jsonError(.notFound, code: "not_found", message: "no such API endpoint (see /api/v1/openapi.json)")
            }
        }
    }

    static func principal(_ context: AdminRequestContext) throws -> AdminPrincipal {
        guard let principal = context.principal else { throw HTTPError(.unauthorized, message: "unauthenticated") }
        return principal
    }

    /// The tenant a request names: a tenant token's own (naming another with `?tenant=` or `named` is
    /// 403); for the system administrator, the one named (404 when unknown), or nil when none is.
    static func namedTenant(_ app: AdminApp, _ request: Request, _ context: AdminRequestContext, named: String? = nil) async throws -> UUID? {
        let principal = try principal(context)
        let named = (named ?? request.uri.queryParameters.get("tenant")).map { UUID(uuidString: $0) }
        if let own = principal.user.tenant {
            if let named, named != own {
                app.securityEvent("ForbiddenTenant", account: principal.user.loginName, address: context.remoteAddress, tenant: own)
                throw HTTPError(.forbidden, message: "this token may access only its own tenant")
            }
            return own
        }
        guard let named else { return nil }
        guard let uuid = named else { throw AdminStoreError(.notFound, field: "tenant", "no such tenant") }
        _ = try await app.store.tenantRecord(uuid)
        return uuid
    }

    static func requireSystem(_ context: AdminRequestContext) throws {
        guard try principal(context).isSystemAdmin else {
            throw HTTPError(.forbidden, message: "only the system administrator manages tenants")
        }
    }

    /// The tenant of the `:tenant` parameter, if the caller may access it (404 when unknown, 403 when not theirs).
    static func tenant(_ app: AdminApp, _ context: AdminRequestContext) async throws -> TenantRecord {
        let principal = try principal(context)
        guard let uuid = context.parameters.get("tenant").flatMap(UUID.init(uuidString:)) else {
            throw AdminStoreError(.notFound, field: "id", "no such tenant")
        }
        guard principal.mayAccess(uuid) else {
            app.securityEvent("ForbiddenTenant", account: principal.user.loginName, address: context.remoteAddress, tenant: principal.user.tenant)
            throw HTTPError(.forbidden, message: "this token may access only its own tenant")
        }
        return try await app.store.tenantRecord(uuid)
    }
}
