import Foundation
import Hummingbird
import Store

/// `/api/v1/tenants/{id}/ami`: the AMI settings page as JSON. `PATCH` changes any of the service
/// switch, username, permit list, event filters (`eventfilter`, from the next login) and user switch; `POST …/ami/password` sets or generates the
/// password and returns it once.
enum APIAMIRoutes {
    static func register(on api: RouterGroup<AdminRequestContext>, app: AdminApp) {
        api.get("/tenants/:tenant/ami") { _, context -> Response in
            Reply.json(try await settings(app, try await APIRoutes.tenant(app, context)))
        }
        api.patch("/tenants/:tenant/ami") { request, context -> Response in
            let tenant = try await APIRoutes.tenant(app, context)
            let uuid = tenant.tenant.uuid
            let input = try await request.decode(as: APIModel.AMISettingsInput.self, context: context)
            var password: String?
            var current = try await app.store.amiUsers(of: uuid).first
            if let username = input.username {
                if let user = current {
                    if user.username != username {
                        try await app.store.renameAMIUser(user.username, to: username, tenant: uuid)
                        await app.live.closeAMISessions(tenant: uuid, username: user.username)
                    }
                } else {
                    password = input.password ?? AdminSecrets.randomPassword()
                    try await app.store.createAMIUser(username, password: password ?? "", tenant: uuid)
                }
                current = try await app.store.amiUsers(of: uuid).first
            }
            if let permit = input.permit {
                guard let user = current else { throw AdminStoreError(.invalid, field: "username", "set a username first") }
                for entry in user.permit where !permit.contains(entry) {
                    try await app.store.removeAMIPermit(entry, username: user.username, tenant: uuid)
                }
                for entry in permit where !user.permit.contains(entry) {
                    try await app.store.addAMIPermit(entry, username: user.username, tenant: uuid)
                }
            }
            if let eventFilter = input.eventfilter {
                guard let user = current else { throw AdminStoreError(.invalid, field: "username", "set a username first") }
                try await app.store.setAMIEventFilter(eventFilter, username: user.username, tenant: uuid)
            }
            if let userEnabled = input.user_enabled {
                guard let user = current else { throw AdminStoreError(.invalid, field: "username", "set a username first") }
                try await app.store.setAMIUserEnabled(userEnabled, username: user.username, tenant: uuid)
                if !userEnabled { await app.live.closeAMISessions(tenant: uuid, username: user.username) }
            }
            if let enabled = input.enabled {
                try await app.store.setAMIEnabled(enabled, tenant: uuid)
                if !enabled { await app.live.closeAMISessions(tenant: uuid, username: nil) }
            }
            if password == nil, let typed = input.password, let user = current {
                try await app.store.setAMIPassword(typed, username: user.username, tenant: uuid)
            }
            return Reply.json(try await settings(app, try await app.store.tenantRecord(uuid)))
        }
        api.post("/tenants/:tenant/ami/password") { request, context -> Response in
            let uuid = try await APIRoutes.tenant(app, context).tenant.uuid
            guard let user = try await app.store.amiUsers(of: uuid).first else {
                throw AdminStoreError(.invalid, field: "username", "set a username first")
            }
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            var password = AdminSecrets.randomPassword()
            if buffer.readableBytes > 0 {
                let input = try APIModel.decoder.decode(APIModel.AMISettingsInput.self, from: Data(buffer.readableBytesView))
                if let typed = input.password { password = typed }
            }
            try await app.store.setAMIPassword(password, username: user.username, tenant: uuid)
            return Reply.json(APIModel.AMIPasswordBody(username: user.username, password: password))
        }
    }

    static func settings(_ app: AdminApp, _ tenant: TenantRecord) async throws -> APIModel.AMISettingsBody {
        APIModel.AMISettingsBody(
            tenant_uuid: tenant.tenant.uuid.uuidString.lowercased(), enabled: tenant.amiEnabled,
            users: try await app.store.amiUsers(of: tenant.tenant.uuid).map(APIModel.AMIUserBody.init))
    }
}
