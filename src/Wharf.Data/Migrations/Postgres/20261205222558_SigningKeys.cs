using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Wharf.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SigningKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CompromisedSince",
                table: "ssh_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PossessionProvenAt",
                table: "ssh_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Usage",
                table: "ssh_keys",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "authentication");

            migrationBuilder.AddColumn<bool>(
                name: "RequireSignedCommits",
                table: "repositories",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "commit_signatures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RepositoryId = table.Column<long>(type: "bigint", nullable: false),
                    ObjectId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    KeyFingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    KeyLabel = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    UserId = table.Column<long>(type: "bigint", nullable: true),
                    Account = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    VerifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
