import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP

/// Finds where to send requests to a trunk (RFC 3263 §4.2) without blocking an event loop: an IP
/// address is used as is; a host name with the default port is first looked up as SRV
/// (`_sip._udp.<host>` or `_sip._tcp.<host>`, UDP query to the configured name server), and its
/// targets (or, without SRV, the host at port 5060) are resolved to addresses with an A query to
/// the same server, then getaddrinfo on NIO's thread pool (AAAA, /etc/hosts). Answers are cached
/// for their TTL in a bounded cache.
package final class SIPHostResolver: Sendable {
    enum Failure: Error {
        case notFound(String)
    }

    /// The port RFC 3263 uses when the URI gives none (and the port at which SRV is tried).
    static let defaultPort = 5060
    /// How long one UDP query waits for its answer, and how often it is sent (resolv.conf's
    /// `timeout:5 attempts:2` defaults, shortened: a call waits for this).
    public static let defaultQueryTimeout: TimeAmount = .seconds(2)
    static let queryAttempts = 2
    /// Cached SRV answers (names of trunks: a few per tenant). When full, expired ones are dropped,
    /// then everything (the cache only saves lookups).
    public static let defaultMaximumCacheEntries = 4096
    /// Longest time an answer is kept whatever its TTL (a day, as many resolvers' `max-cache-ttl`
    /// is a week: shorter so a provider's change is seen), and how long "no SRV record" is kept
    /// (RFC 2308 negative caching, without the SOA minimum we do not read).
    static let maximumTTL: UInt32 = 86_400
    static let negativeTTL: UInt32 = 60

    private struct CacheEntry {
        var records: [DNSRecord]
        var expires: NIODeadline
    }

    /// The name server SRV queries go to; nil: no SRV lookups (A/AAAA by getaddrinfo only).
    let nameserver: SocketAddress?
    let logger: Logger
    private let cache = NIOLockedValueBox([String: CacheEntry]())

    /// Per-attempt wait (`--dns-timeout`) and cache size (`--dns-cache-entries`).
    let queryTimeout: TimeAmount
    let maximumCacheEntries: Int

    init(
        nameserver: SocketAddress?, queryTimeout: TimeAmount = SIPHostResolver.defaultQueryTimeout,
        maximumCacheEntries: Int = SIPHostResolver.defaultMaximumCacheEntries, logger: Logger
    ) {
        self.nameserver = nameserver
        self.queryTimeout = queryTimeout
        self.maximumCacheEntries = max(1, maximumCacheEntries)
        self.logger = logger
    }

    /// The name server of `/etc/resolv.conf` at port 53, nil when unreadable.
    static func systemNameserver() -> SocketAddress? {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8),
            let host = DNSResolvConf.firstNameserver(in: text)
        else { return nil }
        return try? SocketAddress(ipAddress: host, port: 53)
    }

    /// The endpoint for `host`/`port` over `transport`, completed on `loop`; failed when no address is found.
    package func resolve(host: String, port: Int, transport: SIPEndpoint.Transport, on loop: any EventLoop) -> EventLoopFuture<SIPEndpoint> {
        let bare = host.trimmingBrackets()
        if let address = try? SocketAddress(ipAddress: bare, port: port) {
            return loop.makeSucceededFuture(SIPEndpoint(transport: transport, address: address))
        }
        guard port == Self.defaultPort, nameserver != nil, transport != .tls else {
            return address(host: bare, port: port, transport: transport, on: loop)
        }
        let service = "_sip._\(transport == .tcp ? "tcp" : "udp").\(bare)"
        return lookup(service, type: .srv, on: loop).flatMap { records in
            let targets = DNSServiceTarget.ordered(records)
            guard !targets.isEmpty else { return self.address(host: bare, port: port, transport: transport, on: loop) }
            return self.first(of: targets[...], transport: transport, on: loop)
        }
    }

    /// Tries SRV targets in order until one resolves (RFC 3263 §4.3 tries the next on failure).
    private func first(
        of targets: ArraySlice<DNSServiceTarget>, transport: SIPEndpoint.Transport, on loop: any EventLoop
    ) -> EventLoopFuture<SIPEndpoint> {
        guard let target = targets.first else { return loop.makeFailedFuture(Failure.notFound("no SRV target resolves")) }
        return address(host: target.host, port: target.port, transport: transport, on: loop).flatMapError { _ in
            self.first(of: targets.dropFirst(), transport: transport, on: loop)
        }
    }

    /// An A record from the name server (cached for its TTL); without one, getaddrinfo (AAAA,
    /// /etc/hosts) on NIO's thread pool, never on the loop.
    private func address(host: String, port: Int, transport: SIPEndpoint.Transport, on loop: any EventLoop) -> EventLoopFuture<SIPEndpoint> {
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            return loop.makeSucceededFuture(SIPEndpoint(transport: transport, address: address))
        }
        let answers = nameserver == nil ? loop.makeSucceededFuture([]) : lookup(host, type: .a, on: loop)
        return answers.flatMap { records in
            for record in records {
                if case .a(let ip) = record.data, let address = try? SocketAddress(ipAddress: ip, port: port) {
                    return loop.makeSucceededFuture(SIPEndpoint(transport: transport, address: address))
                }
            }
            return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                SIPEndpoint(transport: transport, address: try SocketAddress.makeAddressResolvingHost(host, port: port))
            }
        }
    }

    /// The records of `type` for `name`, from the cache or the name server; empty when there are
    /// none (cached `negativeTTL`) or the server does not answer (not cached: the next call asks again).
    private func lookup(_ name: String, type: DNSRecordType, on loop: any EventLoop) -> EventLoopFuture<[DNSRecord]> {
        let key = "\(type.rawValue)|\(name.lowercased())"
        if let cached = cache.withLockedValue({ $0[key] }), cached.expires > .now() {
            return loop.makeSucceededFuture(cached.records)
        }
        return query(name, type: type, attempt: 1, on: loop).map { message in
            guard let message else { return [] }
            let records = message.answers.filter { record in
                switch (record.data, type) {
                case (.srv, .srv), (.a, .a), (.aaaa, .aaaa): return true
                default: return false
                }
            }
            let ttl = records.isEmpty ? Self.negativeTTL : min(records.map(\.ttl).min() ?? 0, Self.maximumTTL)
            self.store(key, CacheEntry(records: records, expires: .now() + .seconds(Int64(ttl))))
            if message.responseCode != 0, message.responseCode != 3 {
                self.logger.notice("DNS lookup failed", metadata: ["name": "\(name)", "rcode": "\(message.responseCode)"])
            }
            return records
        }
    }

    private func store(_ name: String, _ entry: CacheEntry) {
        cache.withLockedValue { cache in
            if cache.count >= self.maximumCacheEntries {
                let now = NIODeadline.now()
                cache = cache.filter { $0.value.expires > now }
                if cache.count >= self.maximumCacheEntries { cache.removeAll() }
            }
            cache[name] = entry
        }
    }

    /// One query over UDP from a new socket (random source port and id, RFC 5452); nil when no
    /// valid answer came within `queryTimeout` in `queryAttempts` tries.
    private func query(_ name: String, type: DNSRecordType, attempt: Int, on loop: any EventLoop) -> EventLoopFuture<DNSMessage?> {
        let id = UInt16.random(in: 0...UInt16.max)
        guard let nameserver, let bytes = DNSQuery.encode(id: id, name: name, type: type) else {
            return loop.makeSucceededFuture(nil)
        }
        let promise = loop.makePromise(of: DNSMessage?.self)
        let bindHost = nameserver.protocol == .inet6 ? "::" : "0.0.0.0"
        DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSReplyHandler(id: id, nameserver: nameserver, promise: promise))
                }
            }
            .bind(host: bindHost, port: 0)
            .whenComplete { result in
                switch result {
                case .failure:
                    promise.succeed(nil)
                case .success(let channel):
                    let timeout = loop.scheduleTask(in: self.queryTimeout) { promise.succeed(nil) }
                    promise.futureResult.whenComplete { _ in
                        timeout.cancel()
                        channel.close(promise: nil)
                    }
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: nameserver, data: ByteBuffer(bytes: bytes)), promise: nil)
                }
            }
        return promise.futureResult.flatMap { message in
            if message == nil, attempt < Self.queryAttempts {
                return self.query(name, type: type, attempt: attempt + 1, on: loop)
            }
            return loop.makeSucceededFuture(message)
        }
    }
}
