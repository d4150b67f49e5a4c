using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UniqueVerifiedEmailsDisabledAccounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "EmailVerified",
                table: "users",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "IsDisabled",
                table: "users",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "LowerEmail",
                table: "users",
                type: "TEXT",
                maxLength: 254,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "email_tokens",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Purpose = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_email_tokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_email_tokens_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Existing accounts: each address goes to its oldest holder. An address no other account shares
            // was already receiving key mails and stays verified; a shared one is unverified for every holder
            // (the oldest may verify it from its account page; the others keep no address until they change
            // it), so the unique index below cannot fail on old data. lower() folds ASCII letters on both
            // providers, as UserService.NormaliseEmail does for them.
            migrationBuilder.Sql(@"UPDATE users SET ""LowerEmail"" = lower(trim(""Email""))
WHERE ""Id"" IN (SELECT min(""Id"") FROM users GROUP BY lower(trim(""Email"")));");
            migrationBuilder.Sql(@"UPDATE users SET ""EmailVerified"" = 1
WHERE lower(trim(""Email"")) IN (SELECT lower(trim(""Email"")) FROM users GROUP BY lower(trim(""Email"")) HAVING count(*) = 1);");

            migrationBuilder.CreateIndex(
                name: "IX_users_LowerEmail",
                table: "users",
                column: "LowerEmail",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_email_tokens_ExpiresAt",
                table: "email_tokens",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_email_tokens_TokenHash",
                table: "email_tokens",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_email_tokens_UserId_Purpose",
                table: "email_tokens",
                columns: new[] { "UserId", "Purpose" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "email_tokens");

            migrationBuilder.DropIndex(
                name: "IX_users_LowerEmail",
                table: "users");

            migrationBuilder.DropColumn(
                name: "EmailVerified",
                table: "users");

            migrationBuilder.DropColumn(
                name: "IsDisabled",
                table: "users");

            migrationBuilder.DropColumn(
                name: "LowerEmail",
                table: "users");
        }
    }
}
