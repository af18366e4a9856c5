/**
 * Tenants as checkboxes named `tenant:<id>` (the pages' form parser keeps one value per name):
 * the same control, and the same reading of it, wherever an admin grants tenants.
 */
export function TenantCheckboxes(props: { tenants: readonly { id: string; name: string }[]; checked: readonly string[] }) {
  return (
    <>
      {props.tenants.map((t) => (
        <label class="method">
          <input type="checkbox" name={`tenant:${t.id}`} value="on" checked={props.checked.includes(t.id)} />
          <span>
            {t.name} <span class="why">{t.id}</span>
          </span>
        </label>
      ))}
    </>
  );
}

const TENANT_FIELD = /^tenant:([a-z0-9][a-z0-9-]{0,62})$/;

/** The tenant ids a posted form ticked. */
export const tickedTenants = (body: Record<string, unknown>): string[] => Object.keys(body).flatMap((key) => TENANT_FIELD.exec(key)?.[1] ?? []);
