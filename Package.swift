// swift-tools-version:6.0
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioConcurrency = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let nioTLS = Target.Dependency.product(name: "NIOTLS", package: "swift-nio")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let deque = Target.Dependency.product(name: "DequeModule", package: "swift-collections")
let heap = Target.Dependency.product(name: "HeapModule", package: "swift-collections")

let package = Package(
    name: "Centralino",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "centralino", targets: ["centralino"]),
        // Libraries for the fuzz targets in Fuzz/ (a separate package that depends on this one by path).
        .library(name: "AMI", targets: ["AMI"]),
        .library(name: "SIP", targets: ["SIP"]),
        .library(name: "PBX", targets: ["PBX"]),
        .library(name: "Store", targets: ["Store"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // Pure protocol and domain code: no sockets, no clocks, no database.
        .target(name: "ConstantTime"),
        .target(name: "AMI", dependencies: ["ConstantTime", nioCore, crypto]),
        .target(name: "SIP", dependencies: ["ConstantTime", nioCore, crypto]),
        .target(name: "PBX"),
        .target(name: "Media", dependencies: [nioCore, nioPosix, nioConcurrency, deque]),
        // Persistence: SQLite through GRDB, secrets at rest, provisioning files.
        .target(
            name: "Store",
            dependencies: [
                "PBX", "AMI", crypto,
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"), nioCore, nioPosix, nioConcurrency, logging, nioSSL,
            ]),
        // The running node, in three layers: SIP listeners and registrar; calls over them; AMI over the calls.
        // Plumbing the listeners share (TLS settings, login lockout, descriptor budget, a loop's timer queue).
        .target(name: "NodeSupport", dependencies: [nioCore, nioConcurrency, nioSSL, nioTLS, heap]),
        // SIP transports, transaction layer, registrar and qualify, the SIP directory, DNS off the loops.
        .target(
            name: "SIPServer",
            dependencies: [
                "NodeSupport", "SIP", "PBX", "Store", "AMI", crypto, nioCore, nioPosix, nioConcurrency, nioSSL, logging, lifecycle,
                metrics,
            ]),
        // The call engine and its SIP call driver, media adapter, tenant capacity; `CallControl` for AMI.
        .target(
            name: "Calls",
            dependencies: [
                "NodeSupport", "SIPServer", "SIP", "PBX", "AMI", "Media", nioCore, nioConcurrency, logging, lifecycle,
            ]),
        // AMI listener and sessions, event bus, AMI directory; actions reach calls through `CallControl`.
        .target(
            name: "AMIServer",
            dependencies: [
                "NodeSupport", "Calls", "AMI", "ConstantTime", "PBX", nioCore, nioPosix, nioConcurrency, nioSSL, logging, lifecycle, metrics,
            ]),
        // Nodes in PostgreSQL (heartbeats, tenant homes, failover) and AMI events across nodes (LISTEN/NOTIFY).
        .target(
            name: "Cluster",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio"), crypto, nioCore, nioPosix, nioConcurrency, logging, metrics]),
        // The admin panel and REST API (Hummingbird).
        .target(
            name: "Admin",
            dependencies: [
                "Store", "PBX", "AMI", "ConstantTime", crypto, logging, lifecycle, nioCore, nioPosix, nioConcurrency,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdTLS", package: "hummingbird"), nioSSL, metrics, prometheus,
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ]),
        .executableTarget(
            name: "centralino",
            dependencies: [
                "AMIServer", "Calls", "SIPServer", "NodeSupport", "Admin", "Store", "PBX", "SIP", "AMI", "Media", "Cluster", logging, lifecycle,
                nioSSL, metrics,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "MediaBenchmarks", dependencies: ["Media", nioCore, nioPosix], path: "Benchmarks/MediaBenchmarks"),
        .executableTarget(name: "SIPBenchmarks", dependencies: ["SIP", nioCore], path: "Benchmarks/SIPBenchmarks"),
        .executableTarget(name: "TimerBenchmarks", dependencies: ["NodeSupport", nioCore, nioPosix], path: "Benchmarks/TimerBenchmarks"),
        .executableTarget(name: "AMIBenchmarks", dependencies: ["AMI", "PBX", nioCore, nioPosix], path: "Benchmarks/AMIBenchmarks"),
        .testTarget(name: "AMITests", dependencies: ["AMI", nioCore, .product(name: "NIOTestUtils", package: "swift-nio")]),
        .testTarget(name: "PBXTests", dependencies: ["PBX"]),
        .testTarget(name: "ConstantTimeTests", dependencies: ["ConstantTime"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", nioCore, nioPosix, nioConcurrency]),
        .testTarget(name: "SIPTests", dependencies: ["SIP", nioCore, .product(name: "NIOTestUtils", package: "swift-nio")]),
        .testTarget(
            name: "AdminTests",
            dependencies: [
                "Admin", "Store", "PBX", "AMI", crypto,
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"), metrics, prometheus,
            ]),
        .testTarget(
            name: "StoreTests", dependencies: ["Store", "PBX", "AMI", logging, .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster"]),
        .testTarget(
            name: "NodeSupportTests",
            dependencies: ["NodeSupport", nioCore, nioPosix, nioConcurrency, .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "SIPServerTests", dependencies: ["SIPServer", "NodeSupport", "AMI", "SIP", "Store", nioCore, logging]),
        .testTarget(
            name: "CallsTests",
            dependencies: [
                "Calls", "SIPServer", "AMI", "PBX", "SIP", "Store", "Media", nioCore, nioPosix, nioConcurrency,
                .product(name: "NIOEmbedded", package: "swift-nio"), logging,
            ]),
        .testTarget(
            name: "AMIServerTests",
            dependencies: [
                "AMIServer", "Calls", "NodeSupport", "AMI", "PBX", nioCore, nioPosix, .product(name: "NIOEmbedded", package: "swift-nio"), logging,
            ]),
    ],
    swiftLanguageModes: [.v6]
)
