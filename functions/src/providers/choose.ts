/** Which adapter a role uses: the real one when forced or, on "auto", when its secret is set; otherwise local. */
export function chooseAdapter<Real extends string>(
  setting: "auto" | Real | "local",
  secret: string,
  real: Real,
): Real | "local" {
  if (setting === "local") return "local";
  if (setting === "auto") return secret ? real : "local";
  return real;
}
