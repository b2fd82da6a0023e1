import AMI
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What every AMI session shares: configuration, the user directory, the event bus, the login
/// guard and the counters that limits are checked against.
final class AMIServerContext: Sendable {
    let configuration: AMIServerConfiguration
    let directory: AMIDirectory
    let bus: AMIEventBus
    /// The call engine (nil in tests of the AMI layer alone).
    let calls: CallControl?
    /// Told about logins and originates (metrics).
    let observer: (any NodeObserver)?
    let loginGuard: LoginGuard
    let catalog: AMIActionCatalog
    let logger: Logger
    /// When this node started (seconds since the epoch), for FullyBooted and CoreStatus.
    let startTime: Double
    private let unauthenticated = NIOLockedValueBox(0)
    private let liveChannels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    init(configuration: AMIServerConfiguration, directory: AMIDirectory, bus: AMIEventBus, calls: CallControl?,
         observer: (any NodeObserver)?, logger: Logger, startTime: Double) {
        self.observer = observer
        self.configuration = configuration
        self.directory = directory
        self.bus = bus
        self.calls = calls
        self.loginGuard = LoginGuard(policy: configuration.lockout)
        self.catalog = .standard
        self.logger = logger
        self.startTime = startTime
    }

    /// Counts a new unauthenticated connection; false when `authlimit` is reached.
    func admitUnauthenticated() -> Bool {
        unauthenticated.withLockedValue { count in
            guard count < configuration.authLimit else { return false }
            count += 1
            return true
        }
    }

    func releaseUnauthenticated() {
        unauthenticated.withLockedValue { $0 -= 1 }
    }

    func track(_ channel: any Channel) {
        liveChannels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
    }

    func untrack(_ channel: any Channel) {
        liveChannels.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes every open session (on shutdown).
    func closeAllSessions() {
        for channel in liveChannels.withLockedValue({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
