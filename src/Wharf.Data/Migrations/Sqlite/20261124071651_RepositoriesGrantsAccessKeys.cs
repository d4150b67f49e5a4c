using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RepositoriesGrantsAccessKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsPrivate",
                table: "repositories",
                type: "INTEGER",
                nullable: false,
                // Repositories made before visibility existed were private; they stay so.
                defaultValue: true);

            migrationBuilder.AddColumn<long>(
                name: "LastPushedAt",
                table: "repositories",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Scm",
                table: "repositories",
                type: "TEXT",
                maxLength: 8,
                nullable: false,
                // Every repository made before Mercurial support is a git repository.
                defaultValue: "git");

            migrationBuilder.AddColumn<Guid>(
                name: "Uuid",
                table: "repositories",
                type: "TEXT",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            // Existing repositories get a random uuid each before the unique index is made (the format EF uses for Guid).
            migrationBuilder.Sql(
                "UPDATE repositories SET \"Uuid\" = hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6));");

            migrationBuilder.AddColumn<string>(
                name: "Repository",
                table: "audit_log",
                type: "TEXT",
                maxLength: 141,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RepositoryId",
                table: "audit_log",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "access_keys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Fingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PublicKey = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: false),
                    KeyType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Bits = table.Column<int>(type: "INTEGER", nullable: false),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_access_keys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "repository_grants",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Level = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_repository_grants", x => x.Id);
                    table.ForeignKey(
                        name: "FK_repository_grants_repositories_RepositoryId",
                        column: x => x.RepositoryId,
                        principalTable: "repositories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_repository_grants_users_UserId",
                        column: x => x.UserId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "repository_access_keys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: false),
                    AccessKeyId = table.Column<long>(type: "INTEGER", nullable: false),
                    Label = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    CanWrite = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastUsedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_repository_access_keys", x => x.Id);
                    table.ForeignKey(
                        name: "FK_repository_access_keys_access_keys_AccessKeyId",
                        column: x => x.AccessKeyId,
                        principalTable: "access_keys",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_repository_access_keys_repositories_RepositoryId",
                        column: x => x.RepositoryId,
                        principalTable: "repositories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_repositories_Uuid",
                table: "repositories",
                column: "Uuid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_RepositoryId",
                table: "audit_log",
                column: "RepositoryId");

            migrationBuilder.CreateIndex(
                name: "IX_access_keys_Fingerprint",
                table: "access_keys",
                column: "Fingerprint",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_repository_access_keys_AccessKeyId",
                table: "repository_access_keys",
                column: "AccessKeyId");

            migrationBuilder.CreateIndex(
                name: "IX_repository_access_keys_RepositoryId_AccessKeyId",
                table: "repository_access_keys",
                columns: new[] { "RepositoryId", "AccessKeyId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_repository_grants_RepositoryId_UserId",
                table: "repository_grants",
                columns: new[] { "RepositoryId", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_repository_grants_UserId",
                table: "repository_grants",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "repository_access_keys");

            migrationBuilder.DropTable(
                name: "repository_grants");

            migrationBuilder.DropTable(
                name: "access_keys");

            migrationBuilder.DropIndex(
                name: "IX_repositories_Uuid",
                table: "repositories");

            migrationBuilder.DropIndex(
                name: "IX_audit_log_RepositoryId",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "IsPrivate",
                table: "repositories");

            migrationBuilder.DropColumn(
                name: "LastPushedAt",
                table: "repositories");

            migrationBuilder.DropColumn(
                name: "Scm",
                table: "repositories");

            migrationBuilder.DropColumn(
                name: "Uuid",
                table: "repositories");

            migrationBuilder.DropColumn(
                name: "Repository",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "RepositoryId",
                table: "audit_log");
        }
    }
}
