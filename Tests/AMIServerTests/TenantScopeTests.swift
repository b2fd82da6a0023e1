import AMI
import Foundation
import XCTest

@testable import AMIServer

final class TenantScopeTests: XCTestCase {
    let tenant = UUID(uuidString: "7D2C0E2A-1111-4222-8333-444455556666")!
    let other = "9e4f1a3b-5555-4666-8777-888899990000"

    func request(_ lines: [(String, String)]) throws -> OriginateRequest {
        try OriginateRequest.parse(AMIMessage(headers: lines.map { .init(name: $0.0, value: $0.1) }), writePermissions: [.call, .originate])
    }

    func testOwnTenantPassesAndWrapperUUIDIsNormalised() throws {
        var own = try request([
            ("Channel", "Local/100@c2c_7D2C0E2A-1111-4222-8333-444455556666/n"), ("Context", "FROM_C2C_7d2c0e2a-1111-4222-8333-444455556666"),
            ("Exten", "0391234567"), ("Priority", "1"), ("Variable", "__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666"),
        ])
        XCTAssertNil(TenantScope.refusal(for: &own, tenant: tenant))
        XCTAssertEqual(own.resource, "100@c2c_7d2c0e2a-1111-4222-8333-444455556666/n")
        XCTAssertEqual(own.destination, .extensionTarget(context: "from_c2c_7d2c0e2a-1111-4222-8333-444455556666", exten: "0391234567", priority: 1))
    }

    func testOtherTenantsAreRefused() throws {
        var byVariable = try request([
            ("Channel", "Local/100@c2c"), ("Context", "from_c2c"), ("Exten", "1"), ("Priority", "1"),
            ("Variable", "__TENANT_UUID=\(other)"),
        ])
        XCTAssertNotNil(TenantScope.refusal(for: &byVariable, tenant: tenant))
        var byChannel = try request([("Channel", "Local/100@c2c_\(other)"), ("Context", "from_c2c"), ("Exten", "1"), ("Priority", "1")])
        XCTAssertNotNil(TenantScope.refusal(for: &byChannel, tenant: tenant))
        var byContext = try request([("Channel", "Local/100@c2c"), ("Context", "from_c2c_\(other)"), ("Exten", "1"), ("Priority", "1")])
        XCTAssertNotNil(TenantScope.refusal(for: &byContext, tenant: tenant))
    }
}
