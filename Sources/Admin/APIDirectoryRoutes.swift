import Foundation
import Hummingbird
import PBX
import Store

/// `/api/v1/tenants/{id}/extensions`, `/trunks` and `/routes`: list, create, read, replace, delete.
enum APIDirectoryRoutes {
    static func register(on api: RouterGroup<AdminRequestContext>, app: AdminApp) {
        api.get("/tenants/:tenant/extensions") { _, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            return Reply.json(try await app.store.extensions(of: uuid).map(APIModel.ExtensionBody.init))
        }
        api.post("/tenants/:tenant/extensions") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.ExtensionInput.self, context: context)
            let ext = try await app.store.createExtension(input.number ?? "", name: input.name, password: input.password ?? "", tenant: uuid)
            return Reply.json(APIModel.ExtensionBody(ext), status: .created)
        }
        api.get("/tenants/:tenant/extensions/:number") { _, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            return Reply.json(APIModel.ExtensionBody(try await app.store.extensionRecord(context.parameters.get("number") ?? "", tenant: uuid)))
        }
        api.put("/tenants/:tenant/extensions/:number") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.ExtensionInput.self, context: context)
            let ext = try await app.store.updateExtension(
                context.parameters.get("number") ?? "", name: input.name, password: input.password, tenant: uuid)
            return Reply.json(APIModel.ExtensionBody(ext))
        }
        api.delete("/tenants/:tenant/extensions/:number") { _, context -> Response in
            try await app.store.deleteExtension(context.parameters.get("number") ?? "", tenant: try await APIRoutes.tenant(app, context).tenant.uuid)
            return Response(status: .noContent)
        }

        api.get("/tenants/:tenant/trunks") { _, context -> Response in
            Reply.json(try await app.store.trunkRecords(of: try await APIRoutes.tenant(app, context).tenant.uuid).map(APIModel.TrunkBody.init))
        }
        api.post("/tenants/:tenant/trunks") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.TrunkInput.self, context: context)
            let record = try await app.store.saveTrunk(try trunk(input), password: input.password, tenant: uuid)
            return Reply.json(APIModel.TrunkBody(record), status: .created)
        }
        api.get("/tenants/:tenant/trunks/:name") { _, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            return Reply.json(APIModel.TrunkBody(try await app.store.trunkRecord(context.parameters.get("name") ?? "", tenant: uuid)))
        }
        api.put("/tenants/:tenant/trunks/:name") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.TrunkInput.self, context: context)
            let record = try await app.store.saveTrunk(
                try trunk(input), password: input.password, replacing: context.parameters.get("name") ?? "", tenant: uuid)
            return Reply.json(APIModel.TrunkBody(record))
        }
        api.delete("/tenants/:tenant/trunks/:name") { _, context -> Response in
            try await app.store.deleteTrunk(context.parameters.get("name") ?? "", tenant: try await APIRoutes.tenant(app, context).tenant.uuid)
            return Response(status: .noContent)
        }

        api.get("/tenants/:tenant/routes") { _, context -> Response in
            Reply.json(try await app.store.outboundRoutes(of: try await APIRoutes.tenant(app, context).tenant.uuid).map(APIModel.RouteBody.init))
        }
        api.post("/tenants/:tenant/routes") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.RouteInput.self, context: context)
            let route = try await app.store.saveOutboundRoute(
                OutboundRoute(prefix: input.prefix, trunk: input.trunk, strip: input.strip ?? 0), tenant: uuid)
            return Reply.json(APIModel.RouteBody(route), status: .created)
        }
        api.get("/tenants/:tenant/routes/:prefix") { _, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            return Reply.json(APIModel.RouteBody(try await app.store.outboundRoute(OutboundRouteRoutes.prefix(context), tenant: uuid)))
        }
        api.put("/tenants/:tenant/routes/:prefix") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            let input = try await request.decode(as: APIModel.RouteInput.self, context: context)
            let route = try await app.store.saveOutboundRoute(
                OutboundRoute(prefix: input.prefix, trunk: input.trunk, strip: input.strip ?? 0),
                replacing: OutboundRouteRoutes.prefix(context), tenant: uuid)
            return Reply.json(APIModel.RouteBody(route))
        }
        api.delete("/tenants/:tenant/routes/:prefix") { _, context -> Response in
            try await app.store.deleteOutboundRoute(OutboundRouteRoutes.prefix(context), tenant: try await APIRoutes.tenant(app, context).tenant.uuid)
            return Response(status: .noContent)
        }
    }

    static func trunk(_ input: APIModel.TrunkInput) throws -> Trunk {
        guard let transport = Trunk.Transport(rawValue: input.transport ?? "udp") else {
            throw AdminStoreError(.invalid, field: "transport", "must be udp or tcp")
        }
        return Trunk(
            name: input.name, host: input.host, port: input.port ?? 5060, transport: transport, username: input.username,
            rtpTimeout: input.rtp_timeout)
    }
}
