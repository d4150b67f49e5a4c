using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wharf.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenScopes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Scopes",
                table: "api_tokens",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Scopes",
                table: "api_tokens");
        }
    }
}
