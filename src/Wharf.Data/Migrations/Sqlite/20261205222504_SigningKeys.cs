using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SigningKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CompromisedSince",
                table: "ssh_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PossessionProvenAt",
                table: "ssh_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Usage",
                table: "ssh_keys",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "authentication");

            migrationBuilder.AddColumn<bool>(
                name: "RequireSignedCommits",
                table: "repositories",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "commit_signatures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: false),
                    ObjectId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    KeyFingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    KeyLabel = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    UserId = table.Column<long>(type: "INTEGER", nullable: true),
                    Account = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    VerifiedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_commit_signatures", x => x.Id);
                    table.ForeignKey(
                        name: "FK_commit_signatures_repositories_RepositoryId",
                        column: x => x.RepositoryId,
                        principalTable: "repositories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_commit_signatures_KeyFingerprint",
                table: "commit_signatures",
                column: "KeyFingerprint");

            migrationBuilder.CreateIndex(
                name: "IX_commit_signatures_RepositoryId_ObjectId",
                table: "commit_signatures",
                columns: new[] { "RepositoryId", "ObjectId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "commit_signatures");

            migrationBuilder.DropColumn(
                name: "CompromisedSince",
                table: "ssh_keys");

            migrationBuilder.DropColumn(
                name: "PossessionProvenAt",
                table: "ssh_keys");

            migrationBuilder.DropColumn(
                name: "Usage",
                table: "ssh_keys");

            migrationBuilder.DropColumn(
                name: "RequireSignedCommits",
                table: "repositories");
        }
    }
}
