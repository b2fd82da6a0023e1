import XCTest

@testable import Store

/// The PostgreSQL backend's rewrites of the store's SQL: `?` numbered `$1...` outside quoted text
/// and comments, scripts split at `;` outside quoted text.
final class PostgresSQLTests: XCTestCase {
    func testPlaceholdersAreNumberedInOrder() {
        XCTAssertEqual(
            PostgresSQL.numberingPlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)")
    }

    func testQuestionMarksInLiteralsIdentifiersAndCommentsStay() {
        XCTAssertEqual(
            PostgresSQL.numberingPlaceholders("SELECT '?', 'it''s ?', \"col?\" FROM t -- why?\nWHERE x = ? AND y LIKE ? ESCAPE '\\'"),
            "SELECT '?', 'it''s ?', \"col?\" FROM t -- why?\nWHERE x = $1 AND y LIKE $2 ESCAPE '\\'")
    }

    func testMinusIsNotAComment() {
        XCTAssertEqual(PostgresSQL.numberingPlaceholders("UPDATE t SET v = v - ? WHERE id = ?"), "UPDATE t SET v = v - $1 WHERE id = $2")
    }

    func testScriptsSplitOutsideLiterals() {
        XCTAssertEqual(
            PostgresSQL.statements("CREATE TABLE a (x TEXT DEFAULT ';');\n INSERT INTO a VALUES ('b;c');\n\n"),
            ["CREATE TABLE a (x TEXT DEFAULT ';')", "INSERT INTO a VALUES ('b;c')"])
    }

    func testEveryMigrationIsTheSameListOnBothDialects() {
        for migration in StoreSchema.migrations {
            let sqlite = PostgresSQL.statements(migration.sql(.sqlite))
            let postgres = PostgresSQL.statements(migration.sql(.postgres))
            XCTAssertEqual(sqlite.count, postgres.count, migration.name)
            XCTAssertFalse(migration.sql(.postgres).contains("NOCASE"), migration.name)
            XCTAssertFalse(migration.sql(.postgres).contains(" REAL"), migration.name)
        }
    }
}
