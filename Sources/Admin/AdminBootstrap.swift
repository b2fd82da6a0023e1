import Store

/// Creates the system administrator on first start.
public enum AdminBootstrap {
    /// The system administrator's login name.
    public static let systemAdminName = "admin"

    /// Makes sure a system administrator exists.
    ///
    /// - With `password` (from `--admin-password` or `CENTRALINO_ADMIN_PASSWORD`): creates `admin`
    ///   with it, or resets `admin`'s password to it; returns the credentials (not generated).
    /// - Without: when no system administrator exists, creates `admin` with a random password and
    ///   returns it (generated: print it once); otherwise returns nil.
    public static func ensureSystemAdmin(store: CentralinoStore, password: String?, bcryptCost: UInt8 = 12) async throws -> AdminInitialCredentials? {
        let existing = try await store.systemAdmins().first { $0.name == systemAdminName }
        if let password, !password.isEmpty {
            guard ProvisioningRules.secret.accepts(password), password.count >= 8 else {
                throw AdminStoreError(.invalid, field: "admin-password", "must be 8-128 printable characters")
            }
            let hash = try await AdminSecrets.hashPassword(password, cost: bcryptCost)
            if let existing {
                try await store.setAdminPasswordHash(hash, id: existing.id)
            } else {
                try await store.createAdminUser(name: systemAdminName, tenant: nil, passwordHash: hash)
            }
            return AdminInitialCredentials(username: systemAdminName, password: password, generated: false)
        }
        guard try await store.systemAdmins().isEmpty else { return nil }
        let generated = AdminSecrets.randomPassword()
        let hash = try await AdminSecrets.hashPassword(generated, cost: bcryptCost)
        try await store.createAdminUser(name: systemAdminName, tenant: nil, passwordHash: hash)
        return AdminInitialCredentials(username: systemAdminName, password: generated, generated: true)
    }
}
