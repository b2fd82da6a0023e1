import Foundation
import Hummingbird
import Store

/// The tenant dashboard (`/tenants/{uuid}`): the UUID widget with its copy button, registered
/// phones, calls in progress (each with a Hang up button), AMI sessions and security events,
/// refreshed every few seconds from `live.json`.
enum DashboardRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in
                let live = await liveBody(app, tenant: tenant.tenant.uuid)
                return app.page(
                    auth, tenant: tenant, title: "Dashboard", body: body(tenant, live, csrf: auth.session.csrfToken), active: "dashboard")
            }
        }
        router.post("/tenants/:tenant/calls/:id/hangup") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                let dashboard = AdminApp.tenantPath(tenant)
                guard let id = APICallRoutes.decodedID(context.parameters.get("id")),
                    let channels = await app.live.hangUpCall(id: id, tenant: tenant.tenant.uuid), !channels.isEmpty
                else {
                    return app.done(auth, dashboard, "That call is over already.")
                }
                app.logger.notice(
                    "call hung up from the panel",
                    metadata: ["tenant": "\(tenant.tenant.uuid)", "call": "\(id)", "by": "\(auth.principal.user.loginName)"])
                return app.done(auth, dashboard, "Call \(id) hung up.")
            }
        }
        router.get("/tenants/:tenant/live.json") { request, context -> Response in
            guard let auth = await app.panelAuth(request) else {
                return Reply.jsonError(.unauthorized, code: "unauthenticated", message: "sign in first")
            }
            guard let uuid = context.parameters.get("tenant").flatMap(UUID.init(uuidString:)), auth.principal.mayAccess(uuid),
                (try? await app.store.tenantRecord(uuid)) != nil
            else {
                return Reply.jsonError(.notFound, code: "not_found", message: "no such tenant")
            }
            return Reply.json(await liveBody(app, tenant: uuid))
        }
    }

    static func liveBody(_ app: AdminApp, tenant: UUID) async -> APIModel.LiveBody {
        APIModel.LiveBody(
            registrations: await app.live.homeRegistrations(tenant: tenant), amiSessions: await app.live.amiSessions(tenant: tenant),
            securityEvents: await app.securityEvents(tenant: tenant), activeCalls: await app.live.homeActiveCalls(tenant: tenant),
            calls: await app.live.liveCalls(tenant: tenant) ?? [], node: app.live.nodeID)
    }

    /// `m:ss` (or `h:mm:ss`), as the dashboard's script writes it too.
    static func duration(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = seconds / 60 % 60
        let rest = seconds % 60
        let mmss = (minutes < 10 && hours > 0 ? "0" : "") + "\(minutes):" + (rest < 10 ? "0" : "") + "\(rest)"
        return hours > 0 ? "\(hours):\(mmss)" : mmss
    }

    static func body(_ record: TenantRecord, _ live: APIModel.LiveBody, csrf: String) -> String {
        let tenant = record.tenant
        let uuid = tenant.uuid.uuidString.lowercased()
        let stamp = { (date: Date) in HTML.escape(date.formatted(.iso8601)) }
        let registrations = live.registrations.map { r in
            [
                HTML.escape(r.number), HTML.escape(r.contact), HTML.escape("\(r.source) (\(r.transport))"), HTML.escape(r.userAgent ?? ""),
                r.reachable.map { $0 ? "yes" : "no" } ?? "unknown", stamp(r.expiresAt),
            ]
        }
        let sessions = live.amiSessions.map { [HTML.escape($0.username), HTML.escape($0.address), stamp($0.since)] }
        let events = live.securityEvents.map { e in
            [stamp(e.time), HTML.escape(e.service), HTML.escape(e.kind), HTML.escape(e.account), HTML.escape(e.remoteAddress)]
        }
        let callsPath = AdminApp.tenantPath(record, "/calls/")
        let calls = live.calls.map { call in
            [
                HTML.escape(call.id), HTML.escape(call.from), HTML.escape(call.to), HTML.escape(call.state), duration(call.duration),
                HTML.buttonForm(action: callsPath + APICallRoutes.pathComponent(call.id) + "/hangup", csrf: csrf, label: "Hang up", style: "danger"),
            ]
        }
        let amiBadge = record.amiEnabled ? "<span class=\"badge on\">enabled</span>" : "<span class=\"badge off\">disabled</span>"
        return """
            <div data-live-url="\(HTML.escape(AdminApp.tenantPath(record, "/live.json")))">
            <div class="grid">
            <section class="card" id="tenant-widget"><h2>Tenant</h2>
              <dl class="facts">
                <dt>Name</dt><dd id="tenant-name">\(HTML.escape(tenant.name))</dd>
                <dt>Domain</dt><dd id="tenant-domain">\(HTML.escape(tenant.domain))</dd>
                <dt>UUID</dt><dd><span class="uuid" id="tenant-uuid">\(uuid)</span>
                  <button type="button" class="secondary" data-copy-target="tenant-uuid" id="copy-uuid">Copy</button></dd>
                <dt>AMI service</dt><dd>\(amiBadge) <a href="\(AdminApp.tenantPath(record, "/ami"))">AMI settings</a></dd>
                <dt>Active calls</dt><dd id="active-calls">\(live.activeCalls)</dd>
              </dl>
              <p class="muted">The UUID goes into click-to-call requests (<code>__TENANT_UUID</code>). <span id="live-updated"></span></p>
            </section>
            <section class="card"><h2>Connected AMI sessions\(live.node.map { " to node " + HTML.escape($0) } ?? "")</h2>
            \(live.node == nil ? "" : "<p class=\"muted\">AMI sessions are per node: those connected to the other nodes are listed there.</p>")
            \(HTML.table(["User", "Address", "Since"], rows: sessions, empty: "No AMI session is connected.", id: "ami-sessions"))
            </section>
            </div>
            <section class="card"><h2>Live calls</h2>
            <div id="live-calls-box" data-hangup-base="\(HTML.escape(callsPath))" data-csrf="\(HTML.escape(csrf))">
            \(HTML.table(["Call", "From", "To", "State", "Duration", ""], rows: calls, empty: "No call in progress.", id: "live-calls"))
            </div>
            </section>
            <section class="card"><h2>Registered phones</h2>
            \(HTML.table(["Extension", "Contact", "From", "User agent", "Reachable", "Expires"], rows: registrations,
                         empty: "No phone is registered.", id: "registrations"))
            </section>
            <section class="card"><h2>Recent security events</h2>
            \(HTML.table(["Time", "Service", "Event", "Account", "Address"], rows: events, empty: "No security event yet.", id: "security-events"))
            </section>
            </div>
            """
    }
}
