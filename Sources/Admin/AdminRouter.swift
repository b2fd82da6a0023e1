import Hummingbird
import Logging
import Store

/// Builds the admin app's router: the HTML panel, the REST API and the operational endpoints.
/// `AdminServer` serves it; tests drive it in-process with HummingbirdTesting.
public enum AdminRouter {
    public static func build(
        store: CentralinoStore, live: any AdminLiveStatus, configuration: AdminConfiguration,
        metrics: CentralinoMetrics, logger: Logger
    ) -> Router<AdminRequestContext> {
        build(app: AdminApp(store: store, live: live, configuration: configuration, metrics: metrics, logger: logger), webSocket: nil)
    }

    /// The router of `app`; with `webSocket`, `/api/v1/ami/ws` answers requests that were not upgraded.
    static func build(app: AdminApp, webSocket: AMIWebSocket?) -> Router<AdminRequestContext> {
        let configuration = app.configuration
        let router = Router(context: AdminRequestContext.self)
        // Request counts and durations by route, method and status, through swift-metrics.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: BodyLimitMiddleware(limit: configuration.maximumBodySize))
        AuthRoutes.register(on: router, app: app)
        DashboardRoutes.register(on: router, app: app)
        AMISettingsRoutes.register(on: router, app: app)
        TenantRoutes.register(on: router, app: app)
        ExtensionRoutes.register(on: router, app: app)
        TrunkRoutes.register(on: router, app: app)
        OutboundRouteRoutes.register(on: router, app: app)
        AccountRoutes.register(on: router, app: app)
        CDRRoutes.register(on: router, app: app)
        webSocket?.register(on: router)
        APIRoutes.register(on: router, app: app)
        return router
    }
}
