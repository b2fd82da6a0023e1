import Hummingbird
import NIOCore

/// The request context of the admin app: Hummingbird's core storage plus the client's address,
/// which login throttling and security events need.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `unknown` (e.g. in router tests).
    public let remoteAddress: String
    /// The administrator an API token authenticated (set by the API middleware).
    public var principal: AdminPrincipal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The ceiling of any body read; `BodyLimitMiddleware` enforces the configured, smaller limit.
    public var maxUploadSize: Int { BodyLimitMiddleware.maximumConfigurableBodySize }
}
