import Calls
import Logging
import Media
import ServiceLifecycle

/// Orderly shutdown (SIGTERM, SIGINT). The service group stops its services in the reverse of the
/// order they are listed in, each after the one before it returned:
/// 1. the front doors, AMI and HTTP(S) together: listeners close, AMI sessions are closed, HTTP
///    requests in flight finish;
/// 2. the calls: BYE, CANCEL or 487 on every SIP leg, waiting up to `--shutdown-grace` for the legs
///    to go (the SIP listeners still run, for the responses and retransmissions);
/// 3. the SIP listeners and connections (registrations are persisted first);
/// 4. media: every RTP/RTCP socket still open is closed;
/// 5. the store, released when `serve` returns.
/// Past the grace period plus `shutdownMargin` the group cancels what still runs; a service that
/// ignores cancellation for `shutdownCancellationLimit` ends the process.
extension Serve {
    /// Default `--shutdown-grace`, seconds.
    static let defaultShutdownGraceSeconds = Int(CallService.defaultShutdownGrace.components.seconds)
    /// Longest accepted `--shutdown-grace`, seconds.
    static let maximumShutdownGraceSeconds = 300
    /// What the rest of the shutdown may take beyond the grace period (HTTP requests in flight,
    /// closing sockets) before the group cancels it.
    static let shutdownMargin = Duration.seconds(5)
    /// How long cancelled services may take to return before the process stops anyway.
    static let shutdownCancellationLimit = Duration.seconds(5)

    /// `--shutdown-grace` as a duration.
    func shutdownGraceDuration() throws -> Duration {
        let seconds = try EnvironmentOption.resolveInt(shutdownGrace, "CENTRALINO_SHUTDOWN_GRACE", default: Self.defaultShutdownGraceSeconds)
        guard (0...Self.maximumShutdownGraceSeconds).contains(seconds) else {
            throw CommandFailure("--shutdown-grace \(seconds): expected 0 to \(Self.maximumShutdownGraceSeconds) seconds")
        }
        return .seconds(seconds)
    }
}

/// Services that start and stop together: AMI and the admin panel stop accepting at the same
/// moment, before any call is ended. Each child task sees the group's graceful shutdown.
struct ServicesTogether: Service, CustomStringConvertible {
    let services: [any Service]

    var description: String { "ServicesTogether(\(services.map { String(describing: $0) }.joined(separator: ", ")))" }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            // One that ends on its own (a listener closed under it) ends the others, as the group would.
            while try await group.next() != nil {
                if !Task.isShuttingDownGracefully { group.cancelAll() }
            }
        }
    }
}

/// The media engine as a service: at shutdown, after the calls and the SIP listeners, it closes
/// every RTP/RTCP socket still open (a leg opened while the last calls were ending), releasing
/// the ports.
struct MediaService: Service, CustomStringConvertible {
    let media: MediaEngine
    let logger: Logger

    var description: String { "MediaService" }

    func run() async throws {
        try? await gracefulShutdown()
        await media.closeAllLegs()
        logger.info("shutdown: media legs closed")
    }
}
