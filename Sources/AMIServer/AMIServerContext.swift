import AMI
import Calls
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NodeSupport

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
    /// Runs the sessions' regular expressions (event filters, Hangup's `/regex/`), sessions in turns.
    let patternWorker: AMIPatternWorker
    let catalog: AMIActionCatalog
    let logger: Logger
    /// When this node started (seconds since the epoch), for FullyBooted and CoreStatus.
    let startTime: Double
    private let counters = NIOLockedValueBox(ConnectionCounters())
    private let refusalLog = NIOLockedValueBox(RefusalLog())
    /// Refused connections logged per `refusalLogWindow` at most, so a flood of them cannot flood the log.
    static let refusalLogLimit = 20
    static let refusalLogWindow = 10.0

    /// Refused connections logged and left unlogged in the current window.
    struct RefusalLog {
        var windowStart = 0.0
        var logged = 0
        var suppressed = 0
    }
    private let liveChannels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    init(
        configuration: AMIServerConfiguration, directory: AMIDirectory, bus: AMIEventBus, calls: CallControl?,
        observer: (any NodeObserver)?, logger: Logger, startTime: Double, patternWorker: AMIPatternWorker = .standalone
    ) {
        self.patternWorker = patternWorker
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

    /// Open connections, unauthenticated ones, and unauthenticated ones per source address.
    struct ConnectionCounters {
        var connections = 0
        var unauthenticated = 0
        var unauthenticatedByAddress: [String: Int] = [:]
    }

    /// Why a new connection is closed without a banner, or `.admitted` (then it is counted).
    enum Admission: Equatable {
        case admitted
        /// No AMI user of any tenant may log in from this address.
        case outsideEveryACL
        case tooManyConnections
        case tooManyUnauthenticated
        case tooManyUnauthenticatedFromAddress
    }

    /// Decides on a new connection from `address` before it gets a banner; an admitted one counts
    /// as open and unauthenticated until `loggedIn(address:)` / `closed(address:authenticated:)`.
    func admit(address: String, requireACL: Bool = true) -> Admission {
        guard !requireACL || directory.permitsAnyUser(address) else { return .outsideEveryACL }
        let key = Self.addressKey(address)
        return counters.withLockedValue { counters in
            guard counters.connections < configuration.maximumConnections ?? Int.max else { return .tooManyConnections }
            guard counters.unauthenticated < configuration.authLimit else { return .tooManyUnauthenticated }
            guard counters.unauthenticatedByAddress[key, default: 0] < configuration.authLimitPerAddress else {
                return .tooManyUnauthenticatedFromAddress
            }
            counters.connections += 1
            counters.unauthenticated += 1
            counters.unauthenticatedByAddress[key, default: 0] += 1
            return .admitted
        }
    }

    /// An admitted connection logged in: it no longer counts against the unauthenticated limits.
    func loggedIn(address: String) {
        counters.withLockedValue { $0.releaseUnauthenticated(Self.addressKey(address)) }
    }

    /// An admitted connection closed.
    func closed(address: String, authenticated: Bool) {
        counters.withLockedValue { counters in
            counters.connections -= 1
            if !authenticated { counters.releaseUnauthenticated(Self.addressKey(address)) }
        }
    }

    /// Whether a refused connection at `now` may be logged; `suppressed` counts the refusals of the
    /// previous window that were not (reported with the first one logged in a new window).
    func mayLogRefusal(now: Double) -> (log: Bool, suppressed: Int) {
        refusalLog.withLockedValue { log in
            var suppressed = 0
            if now - log.windowStart >= Self.refusalLogWindow {
                suppressed = log.suppressed
                log = RefusalLog(windowStart: now)
            }
            guard log.logged < Self.refusalLogLimit else {
                log.suppressed += 1
                return (false, 0)
            }
            log.logged += 1
            return (true, suppressed)
        }
    }

    /// One key per host, whatever its textual form (`::ffff:10.0.0.1` is `10.0.0.1`).
    static func addressKey(_ address: String) -> String {
        IPAddress(address)?.unmapped.description ?? address
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

extension AMIServerContext.ConnectionCounters {
    mutating func releaseUnauthenticated(_ key: String) {
        unauthenticated -= 1
        let left = unauthenticatedByAddress[key, default: 1] - 1
        unauthenticatedByAddress[key] = left > 0 ? left : nil
    }
}
